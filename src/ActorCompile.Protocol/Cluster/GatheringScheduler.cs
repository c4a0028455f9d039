using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// Akka's scheduler for a node that should sleep while idle (akka.scheduler.implementation). Akka's own
/// (HashedWheelTimerScheduler) wakes on every tick whether or not anything is due: at the 50 ms tick a node
/// alone woke ~64 times a second for its timer and ~130 more for what the ticks released. This one sleeps
/// until something must run, and gathers: a timer may fire late by its slack (at least one tick-duration,
/// the wheel's own lateness, and a tenth of its delay up to a second), never early, and whenever the thread
/// wakes it runs every timer already due. Cluster heartbeats, gossip and status reports, each repeating
/// every second on its own phase, so mostly fire together. A short timer (help-after, 150 ms) is as precise
/// as on the wheel.
/// </summary>
public sealed class GatheringScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    // Akka's own monotonic clock is internal; this one serves the same use (differences between two readings).
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Timers _timers;
    private readonly Thread _thread;

    public GatheringScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        var tick = SchedulerConfig.GetTimeSpan("akka.scheduler.tick-duration", TimeSpan.FromMilliseconds(50));
        _timers = new Timers(tick, () => Clock.Elapsed.Ticks);
        _thread = new Thread(Run) { IsBackground = true, Name = "akka-scheduler" };
        _thread.Start();
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;
    public override TimeSpan MonotonicClock => TimeSpan.FromMilliseconds(Clock.ElapsedMilliseconds);
    public override TimeSpan HighResMonotonicClock => Clock.Elapsed;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        _timers.Add(delay, TimeSpan.Zero, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        _timers.Add(initialDelay, interval, new Tell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        _timers.Add(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        _timers.Add(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        _timers.Add(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        _timers.Add(initialDelay, interval, action, cancelable);

    private void Run()
    {
        var due = new List<Timers.Entry>();
        while (_timers.WaitForDue(due))
        {
            foreach (var entry in due)
            {
                try { entry.Action.Run(); }
                catch (Exception e) { Log.Error(e, "A scheduled task failed: {0}", entry.Action); continue; }
                _timers.Repeat(entry);
            }
            due.Clear();
        }
    }

    /// <summary>Stops the thread; what was still waiting is dropped (the actor system is terminating, as with the wheel's
    /// tasks that never came due).</summary>
    public void Dispose()
    {
        _timers.Stop();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(5));
    }

    private sealed record Tell(ICanTell Receiver, object Message, IActorRef Sender) : IRunnable
    {
        public void Run() => Receiver.Tell(Message, Sender);
        public void Execute() => Run();
    }

    /// <summary>
    /// The timers themselves, without a thread or Akka's clock (unit-tested with a clock of the test's own): each
    /// entry has the instant it becomes due and the latest instant it may run. The thread sleeps until the
    /// earliest latest instant and then takes every entry that is due.
    /// </summary>
    internal sealed class Timers(TimeSpan tick, Func<long> now)
    {
        private static readonly long MaxSlack = TimeSpan.FromSeconds(1).Ticks;
        private readonly long _minSlack = Math.Max(tick.Ticks, TimeSpan.TicksPerMillisecond);
        private readonly object _gate = new();
        private readonly PriorityQueue<Entry, long> _byDue = new();
        private readonly PriorityQueue<Entry, long> _byLatest = new();
        private long _sleepingUntil = long.MaxValue;
        private bool _stopped;

        internal sealed class Entry(IRunnable action, ICancelable? cancelable, long delay, long interval)
        {
            public IRunnable Action { get; } = action;
            public ICancelable? Cancelable { get; } = cancelable;
            public long Delay { get; } = delay;
            public long Interval { get; } = interval;
            public long Due { get; set; }
            public long Latest { get; set; }
            /// <summary>Taken from the queues (run, or found cancelled); the other queue drops it when it reaches it.</summary>
            public bool Taken { get; set; }
            public bool Cancelled => Cancelable?.IsCancellationRequested ?? false;
        }

        public void Add(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
        {
            var entry = new Entry(action, cancelable, delay.Ticks, interval.Ticks);
            Place(entry, now() + entry.Delay, entry.Delay);
        }

        /// <summary>After a repeating entry ran: due again one interval after it was due (or after now, when the thread
        /// fell behind by more than an interval), so that a repeating timer keeps its rate.</summary>
        public void Repeat(Entry entry)
        {
            if (entry.Interval <= 0 || entry.Cancelled) return;
            var next = entry.Due + entry.Interval;
            var current = now();
            if (next <= current) next = current + entry.Interval;
            // A new entry: the one that ran may still sit in the queue by latest instant, marked taken.
            Place(new Entry(entry.Action, entry.Cancelable, entry.Delay, entry.Interval), next, entry.Interval);
        }

        private void Place(Entry entry, long due, long delay)
        {
            entry.Due = due;
            entry.Latest = due + Math.Clamp(delay / 10, _minSlack, Math.Max(MaxSlack, _minSlack));
            lock (_gate)
            {
                if (_stopped) return;
                _byDue.Enqueue(entry, entry.Due);
                _byLatest.Enqueue(entry, entry.Latest);
                if (entry.Latest < _sleepingUntil) Monitor.Pulse(_gate);
            }
        }

        /// <summary>Blocks until at least one entry must run, then fills <paramref name="due"/> with every entry that is due
        /// (cancelled ones are dropped). False once stopped.</summary>
        public bool WaitForDue(List<Entry> due)
        {
            lock (_gate)
            {
                while (!_stopped)
                {
                    TakeDue(due);
                    if (due.Count > 0) return true;
                    var wake = NextWake();
                    var current = now();
                    if (wake <= current) continue;
                    _sleepingUntil = wake;
                    if (wake == long.MaxValue) Monitor.Wait(_gate);
                    else Monitor.Wait(_gate, TimeSpan.FromTicks(Math.Min(wake - current + TimeSpan.TicksPerMillisecond - 1, int.MaxValue * TimeSpan.TicksPerMillisecond)));
                    _sleepingUntil = long.MaxValue;
                }
                return false;
            }
        }

        /// <summary>Takes what is due when the earliest latest instant has come (for the tests and the thread).</summary>
        internal void TakeDue(List<Entry> due)
        {
            var current = now();
            if (NextWake() > current) return;
            while (_byDue.TryPeek(out var entry, out var at) && at <= current)
            {
                _byDue.Dequeue();
                if (entry.Taken) continue;
                entry.Taken = true;
                if (!entry.Cancelled) due.Add(entry);
            }
        }

        /// <summary>The earliest latest instant of an entry still waiting (taken and cancelled ones are dropped on the way).</summary>
        internal long NextWake()
        {
            while (_byLatest.TryPeek(out var entry, out _) && (entry.Taken || entry.Cancelled))
            {
                _byLatest.Dequeue();
                entry.Taken = true;
            }
            return _byLatest.TryPeek(out _, out var latest) ? latest : long.MaxValue;
        }

        public void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                _byDue.Clear();
                _byLatest.Clear();
                Monitor.PulseAll(_gate);
            }
        }
    }
}
