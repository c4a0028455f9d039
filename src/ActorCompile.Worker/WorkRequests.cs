namespace ActorCompile.Worker;

/// <summary>
/// How a worker asks for work: one request per free slot, round-robin over the coordinators that have work,
/// so that it never holds more jobs than its slots and two targets sharing it both make progress. A job is
/// taken only as the answer to an open request, from the coordinator asked. A request unanswered for
/// <see cref="RequestLifetime"/> is given up; a coordinator without work is asked again every
/// <see cref="PollEvery"/> while slots are free (a WorkAvailable may be lost). No Akka here: the worker actor
/// sends the requests it is handed.
/// </summary>
/// <typeparam name="TNode">A coordinator's node (its address).</typeparam>
/// <typeparam name="TRef">How a coordinator is reached.</typeparam>
public sealed class WorkRequests<TNode, TRef>(int slots) where TNode : notnull
{
    public static readonly TimeSpan RequestLifetime = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);

    private sealed class Coordinator(TRef reference)
    {
        public TRef Ref { get; } = reference;
        public bool HasWork { get; set; } = true;
        public DateTime LastPolled { get; set; } = DateTime.MinValue;
    }

    private readonly Dictionary<TNode, Coordinator> _coordinators = new();
    private readonly List<TNode> _order = new();
    private readonly Dictionary<long, (TNode Coordinator, DateTime Sent)> _open = new();
    private long _nextRequest;
    private int _roundRobin;

    public int Open => _open.Count;

    /// <summary>A coordinator greeted this worker; true the first time.</summary>
    public bool Serve(TNode node, TRef coordinator)
    {
        if (_coordinators.ContainsKey(node)) return false;
        _coordinators[node] = new Coordinator(coordinator);
        _order.Add(node);
        return true;
    }

    /// <summary>The coordinator went away: it is asked no more, and its open requests are given up. True when it was served.</summary>
    public bool Gone(TNode node)
    {
        if (!_coordinators.Remove(node)) return false;
        _order.Remove(node);
        foreach (var id in _open.Where(o => EqualityComparer<TNode>.Default.Equals(o.Value.Coordinator, node)).Select(o => o.Key).ToList()) _open.Remove(id);
        return true;
    }

    public void WorkAvailable(TNode node)
    {
        if (_coordinators.TryGetValue(node, out var c)) c.HasWork = true;
    }

    /// <summary>The coordinator had nothing for this request: it is not asked again until it says it has work (or is polled).</summary>
    public void NoWork(long requestId)
    {
        if (_open.Remove(requestId, out var r) && _coordinators.TryGetValue(r.Coordinator, out var c)) c.HasWork = false;
    }

    /// <summary>A job arrived as the answer to <paramref name="requestId"/> from <paramref name="from"/>: true (and the request closed) only when that coordinator was asked it.</summary>
    public bool Answered(long requestId, TNode from)
    {
        if (!_open.TryGetValue(requestId, out var asked) || !EqualityComparer<TNode>.Default.Equals(asked.Coordinator, from)) return false;
        _open.Remove(requestId);
        return true;
    }

    /// <summary>The requests to send now, one per slot that neither runs a job nor waits for an answer.</summary>
    public List<(TRef Coordinator, long RequestId)> Next(int running, DateTime now)
    {
        var requests = new List<(TRef, long)>();
        while (slots - running - _open.Count > 0 && NextWithWork() is var (node, c))
        {
            var id = ++_nextRequest;
            _open[id] = (node, now);
            requests.Add((c.Ref, id));
        }
        return requests;
    }

    private (TNode, Coordinator)? NextWithWork()
    {
        for (int i = 0; i < _order.Count; i++)
        {
            var node = _order[(_roundRobin + i) % _order.Count];
            var c = _coordinators[node];
            if (!c.HasWork) continue;
            _roundRobin = (_roundRobin + i + 1) % _order.Count;
            return (node, c);
        }
        return null;
    }

    /// <summary>Once a second: requests unanswered for too long are given up; with slots free, coordinators without work are polled.</summary>
    public void Tick(int running, DateTime now)
    {
        foreach (var id in _open.Where(o => now - o.Value.Sent > RequestLifetime).Select(o => o.Key).ToList()) _open.Remove(id);
        if (slots - running - _open.Count <= 0) return;
        foreach (var c in _coordinators.Values)
        {
            if (c.HasWork || now - c.LastPolled <= PollEvery) continue;
            c.HasWork = true;
            c.LastPolled = now;
        }
    }
}
