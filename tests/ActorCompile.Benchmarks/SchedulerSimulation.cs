using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using ActorCompile.Coordinator;
using ActorCompile.Coordinator.Actors;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Benchmarks;

/// <summary>
/// The scheduler at scale: the real coordinator and job supervisors, with simulated workers (actors that
/// speak the worker's pull protocol and "compile" by waiting) and simulated wrappers that keep more jobs
/// in flight than there are slots, as make -j does. Job durations follow Lua 5.4.4's translation units
/// (gcc 12 -O2 on this kind of machine), scaled down so that a run takes seconds.
/// </summary>
public static class SchedulerSimulation
{
    /// <summary>
    /// Milliseconds per translation unit of Lua 5.4.4, measured with
    /// <c>for f in src/*.c; do time gcc -std=gnu99 -O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_LINUX -c $f; done</c>.
    /// </summary>
    public static readonly int[] LuaMilliseconds =
        { 14, 16, 26, 35, 49, 56, 78, 81, 89, 98, 100, 102, 106, 108, 114, 125, 132, 142, 152, 160, 162, 182, 185, 199, 206, 220, 230, 243, 362, 368, 434, 452, 461, 944 };

    public sealed record Result(int Slots, int Workers, int Jobs, double Seconds, double CoordinatorMicrosecondsPerJob, double Utilisation, double MeanJobMilliseconds);

    private static readonly ToolchainIdentity Toolchain = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");

    public static Result Run(int slots, int jobs, double scale)
    {
        int perWorker = Math.Min(8, slots);
        int workers = slots / perWorker;
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.log-dead-letters = off
            """);
        using var system = ActorSystem.Create("bench", config);
        var blobs = new Dictionary<string, byte[]>();
        var shared = Enumerable.Range(0, 20).Select(i => AddBlob(blobs, $"/* shared header {i} */\n" + new string('x', 2000))).ToArray();
        // The target helps with the queue only after an hour: every job goes to a simulated worker.
        var coordinator = system.ActorOf(CoordinatorActor.Props(new CoordinatorSettings(2, 3, TimeSpan.FromMinutes(5), 3, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)), new ToolchainShipping()), "coordinator");

        var stats = new SlotStats();
        for (int w = 0; w < workers; w++)
            system.ActorOf(Props.Create(() => new SimulatedWorker(coordinator, perWorker, scale, stats)), $"worker-{w}");

        var done = new TaskCompletionSource<double>();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.StartNew();
        system.ActorOf(Props.Create(() => new Driver(coordinator, blobs, shared, jobs, (int)(slots * 1.5) + 4, started, done)), "driver");
        var lastSubmission = done.Task.Wait(TimeSpan.FromMinutes(20)) ? done.Task.Result : throw new TimeoutException("the simulation did not finish");
        var seconds = started.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        system.Terminate().Wait();
        var utilisation = stats.Utilisation(slots, lastSubmission);
        return new Result(slots, workers, jobs, seconds, cpu.TotalMicroseconds / jobs, utilisation, LuaMilliseconds.Average() * scale);
    }

    private static string AddBlob(Dictionary<string, byte[]> blobs, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        blobs[hash] = bytes;
        return hash;
    }

    /// <summary>
    /// Idle time of worker slots while work was waiting: from the moment a slot finished a job to the
    /// moment it received the next, counted up to the last submission (after it the queue drains).
    /// </summary>
    private sealed class SlotStats
    {
        private readonly object _gate = new();
        private double _idle;
        private double _firstJob = double.MaxValue;
        private readonly List<(double Free, double Got)> _gaps = new();

        public void Gap(double free, double got)
        {
            lock (_gate) _gaps.Add((free, got));
        }

        public void FirstJob(double at)
        {
            lock (_gate) _firstJob = Math.Min(_firstJob, at);
        }

        public double Utilisation(int slots, double end)
        {
            lock (_gate)
            {
                _idle = _gaps.Where(g => g.Free < end).Sum(g => Math.Min(g.Got, end) - g.Free);
                var window = end - _firstJob;
                return window <= 0 ? 0 : 1 - _idle / (slots * window);
            }
        }
    }

    private sealed class Tick { public static readonly Tick Instance = new(); }
    private sealed record Finish(CompileJob Job, double FreeAt);

    /// <summary>Speaks the worker's protocol: one RequestWork per free slot; a job "compiles" by waiting its (scaled) Lua duration.</summary>
    private sealed class SimulatedWorker : ReceiveActor, IWithTimers
    {
        private readonly IActorRef _coordinator;
        private readonly int _slots;
        private readonly SlotStats _stats;
        private readonly double _scale;
        private readonly Random _random = new(42);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Queue<double> _freeSince = new();
        private int _running;
        private int _outstanding;
        private long _request;
        private bool _idle;

        public ITimerScheduler Timers { get; set; } = null!;

        public SimulatedWorker(IActorRef coordinator, int slots, double scale, SlotStats stats)
        {
            _coordinator = coordinator;
            _slots = slots;
            _scale = scale;
            _stats = stats;
            Receive<CompileJob>(job =>
            {
                _outstanding--;
                _running++;
                var now = Now();
                if (_freeSince.TryDequeue(out var free)) _stats.Gap(free, now); else _stats.FirstJob(now);
                var ms = LuaMilliseconds[_random.Next(LuaMilliseconds.Length)] * _scale;
                var self = Self;
                _ = Task.Delay(TimeSpan.FromMilliseconds(ms)).ContinueWith(_ => self.Tell(new Finish(job, 0)));
                Pull();
            });
            Receive<Finish>(f =>
            {
                _running--;
                _freeSince.Enqueue(Now());
                f.Job.Supervisor.Tell(new JobCompleted(f.Job.JobId, 0, Array.Empty<byte>(), Array.Empty<byte>(), new[] { Payload.ToOutput("x.o", "OBJ"u8) }, 1), Self);
                Pull();
            });
            Receive<NoWork>(_ => { _outstanding--; _idle = true; });
            Receive<WorkAvailable>(_ => { _idle = false; Pull(); });
            Receive<Tick>(_ => { _idle = false; Pull(); });
        }

        private double Now() => _clock.Elapsed.TotalMilliseconds;

        protected override void PreStart()
        {
            _coordinator.Tell(new WorkerCapabilities(Self, "sim", _slots, _slots,
                new[] { new OfferedToolchain("gcc", Toolchain.Fingerprint, "gcc", Toolchain.Version, Toolchain.Target, "c") }, 1L << 30));
            for (int i = 0; i < _slots; i++) _freeSince.Enqueue(double.NaN);
            _freeSince.Clear();
            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
            Pull();
        }

        private void Pull()
        {
            if (_idle) return;
            while (_running + _outstanding < _slots)
            {
                _outstanding++;
                _coordinator.Tell(new RequestWork(Self, ++_request));
            }
        }
    }

    /// <summary>Keeps a fixed number of jobs submitted, like make -j, each with its own session actor.</summary>
    private sealed class Driver : ReceiveActor
    {
        private readonly IActorRef _coordinator;
        private readonly Dictionary<string, byte[]> _blobs;
        private readonly string[] _shared;
        private readonly int _total;
        private readonly Stopwatch _clock;
        private readonly TaskCompletionSource<double> _done;
        private int _submitted;
        private int _finished;
        private double _lastSubmission;

        public Driver(IActorRef coordinator, Dictionary<string, byte[]> blobs, string[] shared, int total, int inFlight, Stopwatch clock, TaskCompletionSource<double> done)
        {
            _coordinator = coordinator;
            _blobs = blobs;
            _shared = shared;
            _total = total;
            _clock = clock;
            _done = done;
            Receive<JobResultReady>(_ =>
            {
                Sender.Tell(PoisonPill.Instance);
                if (++_finished == _total) _done.TrySetResult(_lastSubmission);
                else Submit();
            });
            Receive<LocalGranted>(g => throw new InvalidOperationException($"a job went local: {g.Reason}"));
            for (int i = 0; i < Math.Min(inFlight, total); i++) Submit();
        }

        private void Submit()
        {
            if (_submitted >= _total) return;
            var n = ++_submitted;
            _lastSubmission = _clock.Elapsed.TotalMilliseconds;
            var session = Context.ActorOf(Props.Create(() => new Session(Self)));
            var source = AddBlob(_blobs, $"int f{n}(void) {{ return {n}; }}\n");
            var mirror = _shared.Select((h, i) => new MirrorEntry(MirrorEntryKind.File, $"/usr/include/h{i}.h", h, 0, 0))
                .Append(new MirrorEntry(MirrorEntryKind.File, $"/home/u/p/src/f{n}.c", source, 0, 0))
                .Append(new MirrorEntry(MirrorEntryKind.Directory, "/home/u/p", null, 0, 0))
                .ToArray();
            _coordinator.Tell(new SubmitJob(new JobSpec($"sim{n}", session, $"src/f{n}.c", Toolchain, new[] { "-O2", "-c", $"src/f{n}.c" },
                "/home/u/p", mirror, new[] { "/usr/include" }, true, Array.Empty<EnvironmentVariable>(), false, 0,
                mirror.Where(m => m.Hash is not null).Select(m => m.Hash!).Distinct().ToDictionary(h => h, h => _blobs[h]))));
        }
    }

    /// <summary>Stands for a wrapper's session: forwards the result to the driver.</summary>
    private sealed class Session : ReceiveActor
    {
        public Session(IActorRef driver) => ReceiveAny(m => driver.Forward(m));
    }
}
