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
/// and <see cref="WrapperSession"/> and file memory, and frames written and read as the wrapper does.
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

    /// <summary>a.c as the wrapper found it: old enough to be remembered (settled).</summary>
    private static readonly FileStatus SourceStatus = new(0x81a4, Source.Length, 1_700_000_000_000_000_000, 1_700_000_000_000_000_000, 4242, 254, 1);

    private static readonly MirrorEntry[] Manifest =
    {
        new(MirrorEntryKind.Directory, "/home/u/p", null, 0, 0),
        new(MirrorEntryKind.File, "/home/u/p/a.c", null, Source.Length, 1_700_000_000_000),
        new(MirrorEntryKind.Placeholder, "/home/u/p/config.h", null, 0, 1_700_000_000_001),
    };

    private static readonly byte[] Directives = new ActorCompile.Toolchain.Scanning.FileDirectives(
        new[] { new ActorCompile.Toolchain.Scanning.IncludeDirective(ActorCompile.Toolchain.Scanning.IncludeKind.Include, ActorCompile.Toolchain.Scanning.HeaderForm.Angled, "stdio.h") },
        Array.Empty<ActorCompile.Toolchain.Scanning.MacroDefinition>(), null).ToBytes();

    private static FileUpload Upload(byte[]? content = null, bool settled = true) =>
        new("a.c", SourceStatus with { Size = (content ?? Source).Length }, settled, Directives, content ?? Source);

    private readonly TempDirectory _dir = new("ac-session");
    private readonly FileMemo _memo = new(1024, 1 << 20);
    private readonly TestProbe _coordinator;
    private readonly TestProbe _statusView;
    private readonly CancellationTokenSource _stopping = new();

    public WrapperSessionTests() : base(ClusterTestConfig.Create())
    {
        _coordinator = CreateTestProbe();
        _statusView = CreateTestProbe();
    }

    /// <summary>A wrapper connected to a new session, as the node's socket server connects them.</summary>
    private (NetworkStream Wrapper, IActorRef Session) Connect(TimeSpan? localSlotBound = null)
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
        var session = Sys.ActorOf(WrapperSession.Props(client, caller, _coordinator.Ref, _statusView.Ref, new SessionSettings(MaxJobBytes, _memo, LocalSlotBound: localSlotBound)));
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

    /// <summary>Walks the conversation to the scan: request, grant; returns the scan's first answer for a.c.</summary>
    private async Task<(NetworkStream Wrapper, IActorRef Session, byte[]? Known)> UpToTheScan()
    {
        var (wrapper, session) = Connect();
        Send(wrapper, Request());
        var open = _coordinator.ExpectMsg<OpenJob>();
        Assert.Equal(("gcc-key", "include-key", "a.c", Native.UserId()), (open.CompilerKey, open.SystemIncludeKey, open.Source, open.CallerUid));
        open.Session.Tell(new PreprocessGranted(new[] { "/usr/include" }, Gcc));
        var preprocess = Assert.IsType<Preprocess>(await Next(wrapper));
        Assert.Equal(new[] { "/usr/include" }, preprocess.SystemIncludeDirectories);
        Assert.True(preprocess.Scan); // gcc: the include scanner's rules are gcc's
        Send(wrapper, new ScanRound(new[] { new FileRef("a.c", SourceStatus) }, Array.Empty<FileUpload>()));
        var answers = Assert.IsType<ScanAnswers>(await Next(wrapper));
        return (wrapper, session, Assert.Single(answers.Directives));
    }

    [Fact]
    public async Task A_local_compile_that_never_reports_back_gives_its_slot_up_after_the_bound_and_its_late_report_still_counts()
    {
        var (wrapper, _) = Connect(localSlotBound: TimeSpan.FromMilliseconds(500));
        Send(wrapper, Request());
        var open = _coordinator.ExpectMsg<OpenJob>();
        open.Session.Tell(new LocalGranted("every worker is busy", Quiet: false));
        Assert.IsType<RunLocally>(await Next(wrapper));
        // The wrapper says nothing (a user holding a slot on purpose, or a compile longer than the bound).
        var released = _coordinator.FishForMessage<ReleaseLocalSlot>(_ => true);
        Assert.Equal(open.Session, released.Session);
        // Its report, when it comes, is still taken and ends the conversation.
        Send(wrapper, new LocalDone(0));
        Assert.Equal(open.Session, _coordinator.FishForMessage<LocalFinished>(_ => true).Session);
        Assert.Null(await Next(wrapper));
    }

    private static JobManifest ManifestWith(params FileUpload[] uploads) =>
        new(null, true, Manifest, new[] { "a.c" }, uploads, InputScan.Scanner);

    [Fact]
    public async Task A_compile_becomes_one_job_with_its_manifest_and_the_contents_the_node_hashed_and_its_result_goes_back_on_the_socket()
    {
        var (wrapper, session, known) = await UpToTheScan();
        Assert.Null(known); // never seen: the wrapper sends it
        Send(wrapper, ManifestWith(Upload()));
        _coordinator.ExpectMsg<ReleaseLocalSlot>();
        Assert.Equal(ScanOutcome.Scanned, _coordinator.ExpectMsg<ScanCounted>().Outcome);

        var spec = _coordinator.ExpectMsg<SubmitJob>().Spec;
        Assert.Equal(Manifest.Select(e => e.Kind == MirrorEntryKind.File ? e with { Hash = SourceHash } : e), spec.Mirror);
        Assert.Equal(Source.Length, spec.InputBytes);
        Assert.Equal(Source, spec.Contents[SourceHash]);
        Assert.Equal(Gcc, spec.Toolchain);
        Assert.Equal(new[] { "/usr/include" }, spec.SystemIncludeDirectories);
        Assert.True(spec.PreincludeStdcPredef);
        Assert.Equal(new[] { "-c", "a.c", "-o", "a.o" }, spec.Args);

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
    public async Task A_settled_file_is_hashed_once_and_its_directives_come_back_from_then_on_read_again_only_when_a_worker_lacks_it()
    {
        var (first, _, _) = await UpToTheScan();
        Send(first, ManifestWith(Upload()));
        _coordinator.FishForMessage(m => m is SubmitJob);

        var (wrapper, session, known) = await UpToTheScan();
        Assert.Equal(Directives, known); // the same version: remembered for this user
        Send(wrapper, ManifestWith());
        var spec = _coordinator.FishForMessage<SubmitJob>(_ => true).Spec;
        Assert.Equal(SourceHash, spec.Mirror.Single(e => e.Kind == MirrorEntryKind.File).Hash);
        Assert.Empty(spec.Contents); // not sent again: the node keeps no contents beyond their job

        // A worker lacks it: the wrapper reads it again, and the node checks it against the hash the job names.
        var supervisor = CreateTestProbe();
        session.Tell(new ContentsWanted(spec.JobId, new[] { SourceHash }), supervisor.Ref);
        Assert.Equal(new[] { "a.c" }, Assert.IsType<NeedFiles>(await Next(wrapper)).Paths);
        Send(wrapper, new FileContents(new[] { Upload() }));
        Assert.Equal(Source, supervisor.ExpectMsg<ContentsFound>().Contents[SourceHash]);

        // Changed since the scan: not the job's content, the job compiles locally.
        session.Tell(new ContentsWanted(spec.JobId, new[] { SourceHash }), supervisor.Ref);
        await Next(wrapper);
        Send(wrapper, new FileContents(new[] { Upload("int changed;\n"u8.ToArray()) }));
        Assert.Contains("changed", supervisor.ExpectMsg<ContentsLost>().Reason);
    }

    [Fact]
    public async Task A_file_changed_within_the_doubt_window_or_with_another_status_is_not_remembered()
    {
        var (first, _, _) = await UpToTheScan();
        Send(first, ManifestWith(Upload(settled: false)));
        _coordinator.FishForMessage(m => m is SubmitJob);
        var (_, _, known) = await UpToTheScan();
        Assert.Null(known);
        Assert.Equal(0, _memo.Count);

        _memo.Put(Native.UserId(), new RememberedFile(SourceStatus with { ChangedNanoseconds = SourceStatus.ChangedNanoseconds + 1 }, SourceHash, Directives, false));
        var (_, _, stillUnknown) = await UpToTheScan();
        Assert.Null(stillUnknown); // one nanosecond of ctime apart is another version
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("unnamed")]
    [InlineData("size")]
    public async Task A_manifest_that_names_a_hash_or_a_file_no_round_named_or_content_that_is_not_its_size_is_refused(string fault)
    {
        var (wrapper, session, _) = await UpToTheScan();
        Watch(session);
        var manifest = fault switch
        {
            "hash" => ManifestWith(Upload()) with { Entries = Manifest.Select(e => e.Kind == MirrorEntryKind.File ? e with { Hash = SourceHash } : e).ToArray() },
            "unnamed" => ManifestWith() with { Origins = new[] { "planted.c" } },
            _ => ManifestWith(Upload() with { Content = "int planted;\n"u8.ToArray() }),
        };
        Send(wrapper, manifest);
        Assert.IsType<ErrorReply>(await Next(wrapper));
        Assert.Null(await Next(wrapper));
        ExpectTerminated(session);
        _coordinator.FishForMessage(m => m is ReleaseLocalSlot);
        Assert.False(_coordinator.HasMessages && _coordinator.ReceiveOne(TimeSpan.Zero) is SubmitJob);
    }

    [Fact]
    public async Task Contents_beyond_max_job_size_compile_locally()
    {
        var (wrapper, _, _) = await UpToTheScan();
        var big = new byte[MaxJobBytes + 1];
        Send(wrapper, ManifestWith(Upload(big)));
        var local = _coordinator.FishForMessage<RequestLocalSlot>(_ => true);
        Assert.Contains("max-job-size", local.Reason);
    }

    [Fact]
    public async Task A_scanners_job_that_fails_remotely_is_scanned_by_the_compiler_a_miss_compiled_again_and_a_real_error_confirmed_locally()
    {
        var verdict = new RemoteVerdict("w", "127.0.0.1:7421", 1, new string('e', 64));
        var failed = new JobResult(1, Array.Empty<byte>(), "error\n"u8.ToArray(), Array.Empty<KeyValuePair<string, byte[]>>(), "127.0.0.1:7421", 5, new JobTimes(0, 0, 0, 0, 0));

        // The compiler's list holds a header the scanner's did not: a miss, counted, and the job goes again.
        var (wrapper, session, _) = await UpToTheScan();
        Send(wrapper, ManifestWith(Upload()));
        _coordinator.FishForMessage(m => m is SubmitJob);
        session.Tell(new JobResultReady(failed, verdict));
        Assert.IsType<Rescan>(await Next(wrapper));
        var header = new FileUpload("missed.h", SourceStatus with { Inode = 1, Size = 7 }, true, Directives, "int m;\n"u8.ToArray());
        Send(wrapper, new JobManifest(null, true, Manifest.Append(new MirrorEntry(MirrorEntryKind.File, "/home/u/p/missed.h", null, 7, 0)).ToArray(),
            new[] { "a.c", "missed.h" }, new[] { header }, InputScan.Compiler));
        Assert.Equal(ScanOutcome.Missed, _coordinator.FishForMessage<ScanCounted>(_ => true).Outcome);
        Assert.Equal(2, _coordinator.FishForMessage<SubmitJob>(_ => true).Spec.Mirror.Count(e => e.Kind == MirrorEntryKind.File));

        // The same list: the compiler's own verdict, confirmed by a local compile.
        var (again, second, _) = await UpToTheScan();
        Send(again, ManifestWith(Upload()));
        _coordinator.FishForMessage(m => m is SubmitJob);
        second.Tell(new JobResultReady(failed, verdict));
        Assert.IsType<Rescan>(await Next(again));
        Send(again, new JobManifest(null, true, Manifest, new[] { "a.c" }, Array.Empty<FileUpload>(), InputScan.Compiler));
        var confirm = _coordinator.FishForMessage<RequestLocalSlot>(_ => true);
        Assert.Equal((verdict, true), (confirm.Confirm, confirm.Quiet));

        // A job the compiler scanned to begin with (the scanner declined) is confirmed at once.
        var (third, session3, _) = await UpToTheScan();
        Send(third, new JobManifest(null, true, Manifest, new[] { "a.c" }, new[] { Upload() }, InputScan.Compiler, "a computed include"));
        Assert.Equal(ScanOutcome.Declined, _coordinator.FishForMessage<ScanCounted>(_ => true).Outcome);
        _coordinator.FishForMessage(m => m is SubmitJob);
        session3.Tell(new JobResultReady(failed, verdict));
        Assert.Equal(verdict, _coordinator.FishForMessage<RequestLocalSlot>(_ => true).Confirm);
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
