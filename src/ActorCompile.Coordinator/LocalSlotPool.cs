using Akka.Actor;

namespace ActorCompile.Coordinator;

/// <summary>
/// The target's local slots (what make -l limits): dependency scans, compiles that stay local, links and
/// fallbacks each hold one. Waiters are served first come, first served; a session holds at most one.
/// </summary>
public sealed class LocalSlotPool(int capacity)
{
    private readonly HashSet<IActorRef> _holders = new();
    private readonly LinkedList<(IActorRef Session, object Grant)> _waiting = new();

    public int Capacity => capacity;
    public int Busy => _holders.Count;
    public int Waiting => _waiting.Count;

    /// <summary>Grants at once (returns true) or queues the request; <paramref name="grant"/> is what the session is told when served.</summary>
    public bool Request(IActorRef session, object grant)
    {
        if (_holders.Contains(session)) return true;
        if (_holders.Count < capacity && _waiting.Count == 0)
        {
            _holders.Add(session);
            return true;
        }
        _waiting.AddLast((session, grant));
        return false;
    }

    /// <summary>Releases the session's slot (or its place in the queue) and returns the sessions now served, with their grants.</summary>
    public List<(IActorRef Session, object Grant)> Release(IActorRef session)
    {
        _holders.Remove(session);
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value.Session.Equals(session)) { _waiting.Remove(node); break; }
        }
        var served = new List<(IActorRef, object)>();
        while (_holders.Count < capacity && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            _holders.Add(first.Value.Session);
            served.Add(first.Value);
        }
        return served;
    }

    public bool Holds(IActorRef session) => _holders.Contains(session);
}
