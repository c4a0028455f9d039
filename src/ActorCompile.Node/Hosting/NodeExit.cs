namespace ActorCompile.Node.Hosting;

/// <summary>
/// How the process ends once its host has stopped. Exit code 0 only after SIGTERM or SIGINT (a clean
/// leave): anything else must look like a failure to a service manager (Restart=on-failure), and a node
/// the cluster removed starts again at once to rejoin it.
/// </summary>
public static class NodeExit
{
    /// <summary>How long a node waits before it starts again after a failed TLS handshake.</summary>
    public static readonly TimeSpan TlsRestartDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The plan of the process that replaces this one, or null when this one just ends: a node the cluster removed,
    /// or whose dialled TLS handshake failed, rejoins the members it last knew. <paramref name="startedWith"/> is the
    /// plan this process started with, if any: its members are still the ones to join when this process stopped
    /// before it saw any (a handshake that failed while it was joining them); a plan without members would have a
    /// node started without --seed start a cluster of its own beside theirs.
    /// </summary>
    public static RejoinPlan? RejoinPlanAfter(MembershipRecord membership, RejoinPlan? startedWith)
    {
        if (!(membership.RemovedFromCluster || membership.LostATlsHandshake) || membership.Self is not { } self) return null;
        var others = membership.LastKnownOthers.Count > 0 ? membership.LastKnownOthers : startedWith?.Members ?? Array.Empty<Akka.Actor.Address>();
        return new RejoinPlan(self, WithoutFailedDials(others, ActorCompile.Protocol.Cluster.FailedDials.FailedFirst));
    }

    /// <summary>
    /// The members to rejoin less the one this process failed to reach first (see FailedDials), while any other remains (never none: a
    /// plan without members starts a cluster of its own). A member left out that is up comes back through the others.
    /// </summary>
    public static IReadOnlyList<Akka.Actor.Address> WithoutFailedDials(IReadOnlyList<Akka.Actor.Address> members, Func<Akka.Actor.Address, bool> failed)
    {
        var reached = members.Where(m => !failed(m)).ToList();
        return reached.Count > 0 ? reached : members;
    }

    public static int AfterStop(StopSignals signals, MembershipRecord membership, RejoinPlan? startedWith)
    {
        if (signals.Received || membership.StoppedByHost) return 0;
        if (RejoinPlanAfter(membership, startedWith) is { } plan)
        {
            var through = plan.Members.Count > 0 ? $" through {string.Join(", ", plan.Members)}" : "";
            if (membership.LostATlsHandshake)
            {
                // Not at once: a peer that fails every handshake (a listener that drops connections, or this node's
                // own certificate refused) would otherwise have it start again as fast as it can, a core's worth of
                // starts; a service manager's restart delay does the same for the exit below.
                Console.Error.WriteLine($"actorcompile-node: a TLS handshake with another node failed and Akka stopped this node for it; starting again in {TlsRestartDelay.TotalSeconds:0} s to rejoin the cluster{through}");
                Thread.Sleep(TlsRestartDelay);
            }
            else
                Console.Error.WriteLine($"actorcompile-node: this node was removed from the cluster; starting again to rejoin it{through}");
            var failure = ProcessRestart.Exec(new Dictionary<string, string>
            {
                [RejoinPlan.Variable] = plan.ToEnvironment(),
                [RejoinPlan.CountVariable] = (RejoinPlan.Count() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            Console.Error.WriteLine($"actorcompile-node: cannot start again ({failure}); exiting with code 1 for the service manager to restart this node");
            return 1;
        }
        Console.Error.WriteLine($"actorcompile-node: {membership.Describe()} without SIGTERM or SIGINT; exiting with code 1 for the service manager to restart this node");
        return 1;
    }
}
