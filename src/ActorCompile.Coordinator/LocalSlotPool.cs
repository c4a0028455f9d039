using Akka.Actor;

namespace ActorCompile.Coordinator;

/// <summary>
/// The target's local slots (what make -l limits): dependency scans, compiles that stay local, links and
/// fallbacks each hold one. A session holds at most one. Shared fairly between the local users: a free
/// slot goes at once when no one waits; when sessions wait, a freed slot goes to the waiting session of
/// the user who holds the fewest slots (first come, first served among equals), so one user's many
/// sessions never keep another user's compile waiting behind all of theirs.
/// </summary>
public sealed class LocalSlotPool(int capacity)
{
    private readonly Dictionary<IActorRef, uint> _holders = new();
    private readonly LinkedList<(IActorRef Session, uint User, object Grant)> _waiting = new();

    public int Capacity => capacity;
    public int Busy => _holders.Count;
    public int Waiting => _waiting.Count;

    /// <summary>Grants at once (returns true) or queues the request; <paramref name="grant"/> is what the session is told when served.</summary>
    /// <param name="user">The session's local user (uid), whose share the slot counts against.</param>
    public bool Request(IActorRef session, uint user, object grant)
    {
        if (_holders.ContainsKey(session)) return true;
        if (_holders.Count < capacity && _waiting.Count == 0)
        {
            _holders[session] = user;
            return true;
        }
        _waiting.AddLast((session, user, grant));
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
        while (_holders.Count < capacity && Next() is { } next)
        {
            _waiting.Remove(next);
            _holders[next.Value.Session] = next.Value.User;
            served.Add((next.Value.Session, next.Value.Grant));
        }
        return served;
    }

    /// <summary>The waiting session whose user holds the fewest slots; the earliest among equals.</summary>
    private LinkedListNode<(IActorRef Session, uint User, object Grant)>? Next()
    {
        var held = _holders.Values.GroupBy(u => u).ToDictionary(g => g.Key, g => g.Count());
        LinkedListNode<(IActorRef Session, uint User, object Grant)>? best = null;
        for (var node = _waiting.First; node is not null; node = node.Next)
            if (best is null || held.GetValueOrDefault(node.Value.User) < held.GetValueOrDefault(best.Value.User)) best = node;
        return best;
    }

    public bool Holds(IActorRef session) => _holders.ContainsKey(session);

    /// <summary>Per local user: the slots held and the sessions waiting, for status.</summary>
    public IReadOnlyList<(uint User, int Held, int Waiting)> ByUser() =>
        _holders.Values.Select(u => (User: u, Held: 1, Waiting: 0))
            .Concat(_waiting.Select(w => (User: w.User, Held: 0, Waiting: 1)))
            .GroupBy(x => x.User)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Sum(x => x.Held), g.Sum(x => x.Waiting)))
            .ToList();
}
