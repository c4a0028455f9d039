using System.Net.Sockets;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ActorCompile.Coordinator;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Hosting;
using ActorCompile.Node.Sessions;
using ActorCompile.Node.Status;
using ActorCompile.Protocol;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// The wrapper's conversation with the node: a real Unix socket, the node's <see cref="SocketClient"/>
/// and <see cref="WrapperSession"/> and blob store, and frames written and read as the wrapper does.
/// The coordinator and the status view are test probes: their decisions have tests of their own
/// (Coordinator.Tests, <see cref="ClusterStatusViewTests"/>); here what matters is what the session
/// tells them and how it turns their answers into the socket's messages.
/// </summary>
public sealed class WrapperSessionTests : TestKit
{
    private static readonly ToolchainIdentity Gcc = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");
    private static readonly byte[] Source = "int answer(void) { return 42; }\n"u8.ToArray();
    private static readonly string SourceHash = Convert.ToHexStringLower(SHA256.HashData(Source));
    private const long MaxJobBytes = 1 << 20;

    private static readonly SocketLimits Limits = new(
        Clients: 4, ClientsPerUser: 4,
        LargestFrameBytes: (int)JobLimits.FrameBytes(MaxJobBytes), SmallFrameBytes: 1 << 20,
        BufferPerUserBytes: 2 * JobLimits.FrameBytes(MaxJobBytes), IdleTimeout: TimeSpan.FromSeconds(60));

    private static readonly MirrorEntry[] Manifest =
    {
        new(MirrorEntryKind.Directory, "/home/u/p", null, 0, 0),
        new(MirrorEntryKind.File, "/home/u/p/a.c", SourceHash, Source.Length, 1_700_000_000_000),
        new(MirrorEntryKind.Placeholder, "/home/u/p/config.h", null, 0, 1_700_000_000_001),
    };

    private readonly TempDirectory _dir = new("ac-session");
    private readonly BlobStore _blobs = new(1L << 30);
    private readonly TestProbe _coordinator;
    private readonly TestProbe _statusView;
    private readonly CancellationTokenSource _stopping = new();

    public WrapperSessionTests() : base(ClusterTestConfig.Create())
    {
        _coordinator = CreateTestProbe();
        _statusView = CreateTestProbe();
    }

    /// <summary>A wrapper connected to a new session, as the node's socket server connects them.</summary>
    private (NetworkStream Wrapper, IActorRef Session) Connect()
    {
        var path = _dir.Combine($"node-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var wrapper = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        wrapper.Connect(new UnixDomainSocketEndPoint(path));
        var accepted = listener.Accept();
        var caller = PeerCredentials.Of(accepted);
        var client = new SocketClient(accepted, caller, Limits, new ByteBudget(Limits.BufferPerUserBytes));
        var session = Sys.ActorOf(WrapperSession.Props(client, caller, _coordinator.Ref, _statusView.Ref, _blobs, MaxJobBytes));
        _ = client.ReadLoop(session, _stopping.Token).ContinueWith(_ => session.Tell(ConnectionClosed.Instance), TaskScheduler.Default);
        return (new NetworkStream(wrapper, ownsSocket: true), session);
    }

    private static void Send(NetworkStream wrapper, LocalMessage message) => wrapper.Write(Frames.Encode(message));

    /// <summary>The node's next message other than a heartbeat; null when it closed the connection.</summary>
    private static async Task<LocalMessage?> Next(NetworkStream wrapper)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var message = await Frames.ReadAsync(wrapper, int.MaxValue, bound.Token);
            if (message is not Heartbeat) return message;
        }
    }

    private static CompileRequest Request() =>
        new("/usr/bin/gcc", "gcc-key", new[] { "-c", "a.c", "-o", "a.o" }, "/home/u/p", null, "include-key", Array.Empty<KeyValuePair<string, string>>(), false);

    /// <summary>Walks the conversation to the node's request for contents: request, grant, scan, manifest.</summary>
    private async Task<(NetworkStream Wrapper, IActorRef Session)> UpToNeedBlobs()
    {
        var (wrapper, session) = Connect();
        Send(wrapper, Request());
        var open = _coordinator.ExpectMsg<OpenJob>();
        Assert.Equal(("gcc-key", "include-key", "a.c", Native.UserId()), (open.CompilerKey, open.SystemIncludeKey, open.Source, open.CallerUid));
        open.Session.Tell(new PreprocessGranted(new[] { "/usr/include" }, Gcc));
        Assert.Equal(new[] { "/usr/include" }, Assert.IsType<Preprocess>(await Next(wrapper)).SystemIncludeDirectories);
        Send(wrapper, new JobManifest(null, true, Manifest));
        _coordinator.ExpectMsg<ReleaseLocalSlot>();
        Assert.Equal(new[] { SourceHash }, Assert.IsType<NeedBlobs>(await Next(wrapper)).Hashes);
        return (wrapper, session);
    }

    [Fact]
    public async Task A_compile_becomes_one_job_with_its_manifest_and_stored_contents_and_its_result_goes_back_on_the_socket()
    {
        var (wrapper, session) = await UpToNeedBlobs();
        Send(wrapper, new Blobs(new[] { new KeyValuePair<string, byte[]>(SourceHash, Source) }));

        var spec = _coordinator.ExpectMsg<SubmitJob>().Spec;
        Assert.Equal(Manifest, spec.Mirror);
        Assert.Equal(Source.Length, spec.InputBytes);
        Assert.Equal(Gcc, spec.Toolchain);
        Assert.Equal(new[] { "/usr/include" }, spec.SystemIncludeDirectories);
        Assert.True(spec.PreincludeStdcPredef);
        Assert.Equal(new[] { "-c", "a.c", "-o", "a.o" }, spec.Args);
        var stored = _blobs.Get(SourceHash)!;
        Assert.Equal(Source, Payload.Decompress(stored.Compressed, stored.Length));

        var times = new JobTimes(Queue: 1, Remote: 2, Worker: 3, Mirror: 4, Compiler: 5);
        session.Tell(new JobResultReady(new JobResult(0, "out"u8.ToArray(), "warning: x\n"u8.ToArray(),
            new[] { new KeyValuePair<string, byte[]>("a.o", "OBJECT"u8.ToArray()) }, "127.0.0.1:7421", 55, times)));
        var result = Assert.IsType<CompileResult>(await Next(wrapper));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("out", Text.Of(result.Stdout));
        Assert.Equal("warning: x\n", Text.Of(result.Stderr));
        var output = Assert.Single(result.Outputs);
        Assert.Equal(("a.o", "OBJECT"), (output.Key, Text.Of(output.Value)));
        Assert.Equal(("127.0.0.1:7421", 55L), (result.Worker, result.ElapsedMilliseconds));
        Assert.Equal(new JobTiming(Queue: 1, Remote: 2, Worker: 3, Mirror: 4, Compiler: 5), result.Timing);
        Assert.Null(await Next(wrapper)); // one compile per connection
    }

    [Fact]
    public async Task Content_that_does_not_have_its_hash_is_refused_and_not_stored()
    {
        var (wrapper, session) = await UpToNeedBlobs();
        Watch(session);
        Send(wrapper, new Blobs(new[] { new KeyValuePair<string, byte[]>(SourceHash, "int planted;\n"u8.ToArray()) }));

        var error = Assert.IsType<ErrorReply>(await Next(wrapper));
        Assert.Equal($"content sent as {SourceHash} does not have that SHA-256", error.Message);
        Assert.Null(await Next(wrapper));
        ExpectTerminated(session);
        Assert.Null(_blobs.Get(SourceHash));
    }

    [Fact]
    public async Task A_status_request_is_answered_from_the_status_view_in_the_documented_schema()
    {
        var (wrapper, _) = Connect();
        Send(wrapper, new StatusRequest());
        _statusView.ExpectMsg<GetClusterStatus>();
        var status = new ClusterStatus("127.0.0.1:7420", DateTimeOffset.UnixEpoch,
            new[] { new MemberStatus("127.0.0.1:7420", new[] { "coordinator" }, "up") },
            Array.Empty<WorkerStatus>(), Array.Empty<CoordinatorStatus>(), Array.Empty<JobStatus>(), Array.Empty<RefusedConnectionStatus>());
        _statusView.Reply(status);

        var reply = Assert.IsType<StatusReply>(await Next(wrapper));
        Assert.Equal(StatusJson.Serialize(status), reply.Json);
        Assert.Null(await Next(wrapper));
    }

    protected override void Dispose(bool disposing)
    {
        _stopping.Cancel();
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }
}
