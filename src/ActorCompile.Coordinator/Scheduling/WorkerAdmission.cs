namespace ActorCompile.Coordinator.Scheduling;

/// <summary>
/// Which workers may register with the coordinator: only the worker actor (/user/worker) of a member with
/// the worker role that this coordinator greeted. Anyone else (a peer without the role, an actor at another
/// path, a message naming another actor) could otherwise register as a worker and be sent jobs, with their
/// sources. Members come up before their worker actor exists, so a greeted node is greeted again until its
/// worker answers. No Akka here: <typeparamref name="TNode"/> is a node's address.
/// </summary>
public sealed class WorkerAdmission<TNode> where TNode : notnull
{
    /// <summary>At most this many refusals are logged until their nodes leave: a hostile peer must not fill the log or memory.</summary>
    public const int RefusalsLogged = 64;

    private readonly HashSet<TNode> _greeting = new();
    private readonly HashSet<TNode> _greeted = new();
    private readonly HashSet<TNode> _refusalsLogged = new();

    /// <summary>Nodes greeted whose worker has not answered yet.</summary>
    public IReadOnlyCollection<TNode> Unanswered => _greeting;

    /// <summary>A member with the worker role came up: it is greeted (and again each tick until its worker answers).</summary>
    public void Greet(TNode node)
    {
        _greeting.Add(node);
        _greeted.Add(node);
    }

    /// <summary>Whether a worker's offer is admitted; an admitted node is greeted no more.</summary>
    /// <param name="sentByItself">The sender is the worker the offer names.</param>
    /// <param name="atWorkerPath">The sender is the node's /user/worker.</param>
    /// <param name="hasWorkerRole">The node is a member with the worker role now.</param>
    public bool Admits(TNode node, bool sentByItself, bool atWorkerPath, bool hasWorkerRole)
    {
        if (!sentByItself || !atWorkerPath || !_greeted.Contains(node) || !hasWorkerRole) return false;
        _greeting.Remove(node);
        return true;
    }

    /// <summary>Whether a refused offer from the node should be logged (the first from each node, up to <see cref="RefusalsLogged"/>).</summary>
    public bool LogRefusal(TNode node) => _refusalsLogged.Count < RefusalsLogged && _refusalsLogged.Add(node);

    public void Left(TNode node)
    {
        _greeting.Remove(node);
        _greeted.Remove(node);
        _refusalsLogged.Remove(node);
    }
}
