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
public static class FailedDials
{
    private static readonly object Gate = new();
    private static readonly List<(string Host, int Port)> Failed = new();

    /// <summary>More would only be members long gone: the first ones are what counts.</summary>
    private const int MaxKept = 64;

    public static void Record(Address remote, bool failed)
    {
        if (remote.Host is not { } host || remote.Port is not { } port) return;
        lock (Gate)
        {
            if (!failed) Failed.Remove((host, port));
            else if (Failed.Count < MaxKept && !Failed.Contains((host, port))) Failed.Add((host, port));
        }
    }

    /// <summary>Whether <paramref name="remote"/> is the first of the dials that failed and have not succeeded since.</summary>
    public static bool FailedFirst(Address remote)
    {
        lock (Gate) return Failed.Count > 0 && remote.Host == Failed[0].Host && remote.Port == Failed[0].Port;
    }
}
