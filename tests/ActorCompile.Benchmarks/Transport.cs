using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;

namespace ActorCompile.Benchmarks;

/// <summary>
/// Payload transport: a preprocessed unit of 0.1, 1 or 5 MB shipped to another node on loopback and the same
/// number of bytes shipped back, by each candidate: Akka remoting messages (with and without the LZ4 the
/// jobs use), Akka stream refs in 64 KiB chunks, and a side channel (a plain TCP connection, kept open).
/// Two actor systems in this process, each with the shipped HOCON (serializer, frame size) over real TCP.
/// </summary>
public static class Transport
{
    public sealed record Row(string Method, double Megabytes, Summary Milliseconds, double MegabytesPerSecond);

    private const int Chunk = 64 * 1024;

    public static List<Row> Run(byte[] corpus, int rounds, Action<string> say)
    {
        var config = ClusterTestConfig.Create("akka.actor.provider = remote\nakka.loglevel = OFF\nakka.stdout-loglevel = OFF").WithFallback(ActorMaterializer.DefaultConfig());
        using var a = ActorSystem.Create("transport", config);
        using var b = ActorSystem.Create("transport", config);
        var matA = a.Materializer();
        var matB = b.Materializer();
        var bAddress = ((ExtendedActorSystem)b).Provider.DefaultAddress;
        b.ActorOf(Props.Create(() => new Echo(matB)), "echo");
        var echo = a.ActorSelection(new RootActorPath(bAddress) / "user" / "echo").ResolveOne(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        using var side = new EchoServer();
        using var client = new TcpClient();
        client.NoDelay = true;
        client.Connect(IPAddress.Loopback, side.Port);
        var stream = client.GetStream();
        var timeout = TimeSpan.FromSeconds(60);

        var methods = new (string Name, Func<byte[], byte[]> RoundTrip)[]
        {
            ("Akka message, LZ4 (what jobs use)", data =>
            {
                var back = echo.Ask<JobOutput>(Payload.ToOutput("lz4", data), timeout).GetAwaiter().GetResult();
                return Payload.Decompress(back.Compressed, back.Length);
            }),
            ("Akka message, raw", data => echo.Ask<JobOutput>(new JobOutput("raw", data, data.Length), timeout).GetAwaiter().GetResult().Compressed),
            ("Akka stream ref, 64 KiB chunks", data =>
            {
                var there = Source.From(Chunks(data)).RunWith(StreamRefs.SourceRef<byte[]>(), matA).GetAwaiter().GetResult();
                var back = echo.Ask<ISourceRef<byte[]>>(there, timeout).GetAwaiter().GetResult();
                return Concat(back.Source.RunWith(Sink.Seq<byte[]>(), matA).GetAwaiter().GetResult());
            }),
            ("TCP side channel, raw", data => SideRoundTrip(stream, data)),
            ("TCP side channel, LZ4", data => Payload.Decompress(SideRoundTrip(stream, Payload.Compress(data)), data.Length)),
        };

        var rows = new List<Row>();
        foreach (var megabytes in new[] { 0.1, 1.0, 5.0 })
        {
            var data = Sample(corpus, (int)(megabytes * 1_000_000));
            var times = methods.ToDictionary(m => m.Name, _ => new List<double>());
            foreach (var m in methods) for (int i = 0; i < 3; i++) Check(m.RoundTrip(data), data, m.Name);
            for (int round = 0; round < rounds; round++)
            {
                foreach (var m in methods.Skip(round % methods.Length).Concat(methods.Take(round % methods.Length)))
                {
                    var clock = Stopwatch.StartNew();
                    var back = m.RoundTrip(data);
                    times[m.Name].Add(clock.Elapsed.TotalMilliseconds);
                    Check(back, data, m.Name);
                }
            }
            foreach (var m in methods)
            {
                var s = Summary.Of(times[m.Name]);
                rows.Add(new Row(m.Name, megabytes, s, 2 * megabytes / (s.Median / 1000)));
                say($"  {megabytes,4} MB  {m.Name,-36} {s.Cell("0.00")} ms");
            }
        }
        a.Terminate().Wait(TimeSpan.FromSeconds(10));
        b.Terminate().Wait(TimeSpan.FromSeconds(10));
        return rows;
    }

    private static void Check(byte[] back, byte[] sent, string method)
    {
        if (!back.AsSpan().SequenceEqual(sent)) throw new InvalidOperationException($"{method} returned different bytes");
    }

    /// <summary>Real preprocessed C, repeated to the size wanted.</summary>
    private static byte[] Sample(byte[] corpus, int size)
    {
        var data = new byte[size];
        for (int at = 0; at < size; at += corpus.Length) corpus.AsSpan(0, Math.Min(corpus.Length, size - at)).CopyTo(data.AsSpan(at));
        return data;
    }

    private static IEnumerable<byte[]> Chunks(byte[] data)
    {
        for (int at = 0; at < data.Length; at += Chunk) yield return data.AsSpan(at, Math.Min(Chunk, data.Length - at)).ToArray();
    }

    private static byte[] Concat(IEnumerable<byte[]> chunks)
    {
        var all = new MemoryStream();
        foreach (var c in chunks) all.Write(c);
        return all.ToArray();
    }

    private static byte[] SideRoundTrip(NetworkStream stream, byte[] data)
    {
        WriteFrame(stream, data);
        return ReadFrame(stream);
    }

    private static void WriteFrame(Stream s, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, data.Length);
        s.Write(length);
        s.Write(data);
    }

    private static byte[] ReadFrame(Stream s)
    {
        Span<byte> length = stackalloc byte[4];
        s.ReadExactly(length);
        var data = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
        s.ReadExactly(data);
        return data;
    }

    /// <summary>The worker's end: takes the unit (decompressing it as a worker would) and sends as many bytes back.</summary>
    private sealed class Echo : ReceiveActor
    {
        public Echo(IMaterializer materializer)
        {
            Receive<JobOutput>(m =>
            {
                if (m.Path == "lz4") Sender.Tell(Payload.ToOutput("lz4", Payload.Decompress(m.Compressed, m.Length)));
                else Sender.Tell(new JobOutput("raw", m.Compressed, m.Length));
            });
            ReceiveAsync<ISourceRef<byte[]>>(async there =>
            {
                var sender = Sender;
                var data = Concat(await there.Source.RunWith(Sink.Seq<byte[]>(), materializer));
                var back = await Source.From(Chunks(data)).RunWith(StreamRefs.SourceRef<byte[]>(), materializer);
                sender.Tell(back);
            });
        }
    }

    /// <summary>The side channel's far end: echoes length-prefixed frames on a loopback TCP port.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        public int Port { get; }

        public EchoServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            new Thread(() =>
            {
                try
                {
                    using var c = _listener.AcceptTcpClient();
                    c.NoDelay = true;
                    var s = c.GetStream();
                    while (true) WriteFrame(s, ReadFrame(s));
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
                {
                    // The benchmark closed the connection.
                }
            }) { IsBackground = true }.Start();
        }

        public void Dispose() => _listener.Stop();
    }
}
