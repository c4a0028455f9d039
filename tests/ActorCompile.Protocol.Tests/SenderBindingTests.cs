using Akka.Actor;
using Akka.Configuration;
using ActorCompile.Protocol.Cluster;
using Google.Protobuf;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>
/// A peer speaks only as itself (<see cref="BoundSenderHandle"/>), checked with real Akka.Remote systems in this
/// process on 127.0.0.1 (plain akka.tcp: TLS sits below the adapter and changes nothing it reads). The honest
/// cases pin <see cref="AkkaFrames"/> to the frames Akka 1.5 really writes: were the layout read wrongly, their
/// messages would be refused.
/// </summary>
public sealed class SenderBindingTests : IDisposable
{
    private readonly List<ActorSystem> _systems = new();

    public void Dispose()
    {
        foreach (var s in _systems) s.Terminate().Wait(TimeSpan.FromSeconds(20));
    }

    private ActorSystem Start(string name, string extra = "")
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.remote.adapters.admission = "ActorCompile.Protocol.Cluster.AdmissionTransportProvider,ActorCompile.Protocol"
            akka.remote.dot-netty.tcp.applied-adapters = [admission]
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.log-dead-letters = off
            {{extra}}
            """);
        var system = ActorSystem.Create(name, config);
        _systems.Add(system);
        return system;
    }

    private static Address AddressOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>Answers every message with the path of the sender it saw.</summary>
    private sealed class Echo : ReceiveActor
    {
        public Echo(List<string> seen) => ReceiveAny(m =>
        {
            lock (seen) seen.Add($"{m} from {Sender.Path}");
            Sender.Tell($"seen {m}");
        });
    }

    private sealed class Asker : ReceiveActor
    {
        public Asker(TaskCompletionSource<string> answer) => ReceiveAny(m => answer.TrySetResult(m.ToString()!));
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 30 s for {what}");
            await Task.Delay(50);
        }
    }

    private static IReadOnlyList<ConnectionRefusals.Entry> Refusals(ActorSystem system) => ConnectionRefusals.Get(system).Snapshot();

    [Theory]
    [InlineData("")]
    [InlineData("akka.remote.dot-netty.tcp.public-hostname = localhost")] // a declared name, resolved before its frames go on
    public async Task A_peer_that_speaks_as_itself_is_heard_both_ways(string extra)
    {
        var b = Start("b");
        var a = Start("a", extra);
        var seen = new List<string>();
        b.ActorOf(Props.Create(() => new Echo(seen)), "echo");
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asker = a.ActorOf(Props.Create(() => new Asker(answer)), "asker");
        var echo = ((ExtendedActorSystem)a).Provider.ResolveActorRef($"{AddressOf(b)}/user/echo");

        echo.Tell("hello", asker);

        Assert.Equal("seen hello", await answer.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        lock (seen) Assert.Equal($"hello from {AddressOf(a)}/user/asker", Assert.Single(seen));
        Assert.Empty(Refusals(b));
        Assert.Empty(Refusals(a));
    }

    [Fact]
    public async Task A_message_naming_the_receiving_node_or_a_third_node_as_its_sender_never_reaches_an_actor()
    {
        var b = Start("b");
        var a = Start("a");
        var seen = new List<string>();
        b.ActorOf(Props.Create(() => new Echo(seen)), "echo");
        var provider = ((ExtendedActorSystem)a).Provider;
        var echo = provider.ResolveActorRef($"{AddressOf(b)}/user/echo");
        // An honest message first, so that the connection is up and the refusals below are about the senders alone.
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        echo.Tell("honest", a.ActorOf(Props.Create(() => new Asker(answer)), "asker"));
        await answer.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // What a rogue member does to store a result in b's own name: a sender path of b itself.
        echo.Tell("as b itself", provider.ResolveActorRef($"{AddressOf(b)}/user/result-cache"));

        await Until(() => Refusals(b).Any(), "b to refuse the message");
        var refusal = Assert.Single(Refusals(b));
        Assert.Equal("127.0.0.1", refusal.Address);
        Assert.Contains($"sent a message as {AddressOf(b)}/user/result-cache, not as a@127.0.0.1:{AddressOf(a).Port}", refusal.Reason);

        // A message in a third node's name is refused the same way; each is dropped alone, the connection stays (an
        // honest relay, such as a pub-sub mediator forwarding a peer's publish, must not lose its connection).
        echo.Tell("as c", provider.ResolveActorRef("akka.tcp://c@127.0.0.1:1/user/worker"));
        var again = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        echo.Tell("honest again", a.ActorOf(Props.Create(() => new Asker(again)), "asker-again"));
        Assert.Equal("seen honest again", await again.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(Refusals(b).Single().Count >= 2, "the second forged message counted");
        Assert.Contains("sent a message as akka.tcp://c@127.0.0.1:1/user/worker", Refusals(b).Single().Reason);
        lock (seen) Assert.Equal(new[] { $"honest from {AddressOf(a)}/user/asker", $"honest again from {AddressOf(a)}/user/asker-again" }, seen);
    }

    [Fact]
    public async Task A_peer_that_declares_the_receiving_nodes_own_address_is_refused_at_its_handshake()
    {
        var b = Start("b");
        // Its connections come from 127.0.0.1, as b's own address says: only the port tells them apart.
        var a = Start("a", $"akka.remote.dot-netty.tcp.public-port = {AddressOf(b).Port}");
        var seen = new List<string>();
        b.ActorOf(Props.Create(() => new Echo(seen)), "echo");
        ((ExtendedActorSystem)a).Provider.ResolveActorRef($"{AddressOf(b)}/user/echo").Tell("hello", ActorRefs.NoSender);
        await Until(() => Refusals(b).Any(), "b to refuse the handshake");
        Assert.Contains($"declared this node's own address a@127.0.0.1:{AddressOf(b).Port}", Assert.Single(Refusals(b)).Reason);
        lock (seen) Assert.Empty(seen);
    }

    [Fact]
    public async Task A_peer_that_declares_an_address_its_connection_does_not_come_from_is_refused_at_its_handshake()
    {
        var b = Start("b");
        // Bound to 127.0.0.1 (where its connections come from), declaring 127.0.0.3.
        var a = Start("a", "akka.remote.dot-netty.tcp.public-hostname = 127.0.0.3");
        var seen = new List<string>();
        b.ActorOf(Props.Create(() => new Echo(seen)), "echo");
        var echo = ((ExtendedActorSystem)a).Provider.ResolveActorRef($"{AddressOf(b)}/user/echo");

        echo.Tell("hello", ActorRefs.NoSender);

        await Until(() => Refusals(b).Any(), "b to refuse the handshake");
        Assert.Contains($"declared a@127.0.0.3:{AddressOf(a).Port} on a connection from 127.0.0.1", Assert.Single(Refusals(b)).Reason);
        lock (seen) Assert.Empty(seen);
    }

    // Frames Akka never writes, built field by field as protocol buffers lays them out (AkkaFrames' comment).
    private static byte[] Field(int number, byte[] value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A length-delimited value's length prefix and bytes, without a tag.</summary>
    private static byte[] Length(byte[] value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Path(string path) => Field(1, System.Text.Encoding.UTF8.GetBytes(path));

    private static byte[] MessageFrame(params byte[][] senders) =>
        Field(1, Field(2, Concat(new[] { Field(1, Path("akka.tcp://b@127.0.0.1:2/user/echo")) }.Concat(senders.Select(s => Field(4, s))).ToArray())));

    [Fact]
    public void Frames_that_a_parser_would_merge_or_cut_are_unreadable_and_a_plain_one_names_its_sender()
    {
        Assert.Equal(new AkkaFrame(FrameKind.Message, Sender: "akka.tcp://a@127.0.0.1:1/user/x"), AkkaFrames.Read(MessageFrame(Path("akka.tcp://a@127.0.0.1:1/user/x"))));
        Assert.Equal(new AkkaFrame(FrameKind.Message), AkkaFrames.Read(MessageFrame()));
        // Two sender fields (protocol buffers would merge them and keep the last path): a forged sender could hide behind an honest one.
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(MessageFrame(Path("akka.tcp://a@127.0.0.1:1/user/x"), Path("akka.tcp://b@127.0.0.1:2/user/y"))).Kind);
        // Two paths in one sender.
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(MessageFrame(Concat(Path("akka.tcp://a@127.0.0.1:1/user/x"), Path("akka.tcp://b@127.0.0.1:2/user/y")))).Kind);
        var whole = MessageFrame(Path("akka.tcp://a@127.0.0.1:1/user/x"));
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(whole.AsSpan(0, whole.Length - 3)).Kind);
        // A payload and an instruction at once, and a group (wire type 3).
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(Concat(whole, Field(2, Array.Empty<byte>()))).Kind);
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(new byte[] { 0x0B, 0x0C }).Kind);
        // Google.Protobuf reads a tag as 32 bits and drops the rest: the sender's tag (field 4) written in five bytes
        // with a high bit set is field 4 to Akka and some unknown field to a 64-bit reader, which would see no sender.
        var hidden = Field(1, Field(2, Concat(Field(1, Path("akka.tcp://b@127.0.0.1:2/user/echo")),
            new byte[] { 0xA2, 0x80, 0x80, 0x80, 0x10 }, Length(Path("akka.tcp://b@127.0.0.1:2/user/result-cache")))));
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(hidden).Kind);
        // A handshake's command (ASSOCIATE = 1) with bits past 32, read as 1 by Akka: not a mere control frame here.
        var command = Field(2, new byte[] { 0x08, 0x81, 0x80, 0x80, 0x80, 0x10 });
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(command).Kind);
        // A sender path that is not UTF-8.
        Assert.Equal(FrameKind.Unreadable, AkkaFrames.Read(MessageFrame(Field(1, new byte[] { 0xC3, 0x28 }))).Kind);
    }
}
