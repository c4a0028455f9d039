using Akka.Actor;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// The hosts and ports this process dialled whose connection failed (refused, timed out, or dropped during the TLS
/// handshake) and that it has not reached since, in the order they failed. Process-wide on purpose: it outlives the
/// actor system, for the process that replaces a stopped node (NodeExit). That one leaves the first of them out of
/// its rejoin plan while other members remain, so that one program that drops every handshake on a departed
/// member's port cannot keep a node starting again for ever: Akka.Remote stops the actor system on the first such
/// failure, and the dials it was making to the others then fail too, after it (so only the first one counts).
/// </summary>
public sealed class FailedDials
{
    /// <summary>This process's record: the one the admission transport writes and NodeExit reads.</summary>
    public static FailedDials Process { get; } = new();

    private readonly object _gate = new();
    private readonly List<(string Host, int Port)> _failed = new();

    /// <summary>More would only be members long gone: the first ones are what counts.</summary>
    private const int MaxKept = 64;

    public void Record(Address remote, bool failed)
    {
        if (remote.Host is not { } host || remote.Port is not { } port) return;
        lock (_gate)
        {
            if (!failed) _failed.Remove((host, port));
            else if (_failed.Count < MaxKept && !_failed.Contains((host, port))) _failed.Add((host, port));
        }
    }

    /// <summary>Whether <paramref name="remote"/> is the first of the dials that failed and have not succeeded since.</summary>
    public bool FailedFirst(Address remote)
    {
        lock (_gate) return _failed.Count > 0 && remote.Host == _failed[0].Host && remote.Port == _failed[0].Port;
    }
}
