namespace ActorCompile.Node.Hosting;

/// <summary>
/// How the process ends once its host has stopped. Exit code 0 only after SIGTERM or SIGINT (a clean
/// leave): anything else must look like a failure to a service manager (Restart=on-failure), and a node
/// the cluster removed starts again at once to rejoin it.
/// </summary>
public static class NodeExit
{
    /// <summary>
    /// The plan of the process that replaces this one, or null when this one just ends: a node the cluster removed,
    /// or whose dialled TLS handshake failed, rejoins the members it last knew. <paramref name="startedWith"/> is the
    /// plan this process started with, if any: its members are still the ones to join when this process stopped
    /// before it saw any (a handshake that failed while it was joining them); a plan without members would have a
    /// node started without --seed start a cluster of its own beside theirs.
    /// </summary>
    public static RejoinPlan? RejoinPlanAfter(MembershipRecord membership, RejoinPlan? startedWith, Func<Akka.Actor.Address, bool>? failedFirst = null)
    {
        if (!(membership.RemovedFromCluster || membership.LostATlsHandshake) || membership.Self is not { } self) return null;
        var others = membership.LastKnownOthers.Count > 0 ? membership.LastKnownOthers : startedWith?.Members ?? Array.Empty<Akka.Actor.Address>();
        // Only after a failed handshake: a removed node rejoins every member it knew.
        return new RejoinPlan(self, membership.LostATlsHandshake ? WithoutFailedDials(others, failedFirst ?? ActorCompile.Protocol.Cluster.FailedDials.Process.FailedFirst) : others);
    }

    /// <summary>Counts the starts after a failed TLS handshake since this node last saw another member (the wait grows with it).</summary>
    public const string TlsRestartsVariable = "ACTORCOMPILE_TLS_RESTARTS";

    /// <summary>
    /// How long to wait before starting again after a failed TLS handshake: 2 s, doubled for each such start in a row
    /// that saw no member (a node whose certificate the others refuse, or whose every member drops it), up to a
    /// minute. A node that saw members since starts the count again.
    /// </summary>
    public static (TimeSpan Delay, int InARow) TlsRestartWait(bool sawMembers, string? previous)
    {
        var inARow = sawMembers ? 1 : (int.TryParse(previous, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? Math.Min(n, 30) : 0) + 1;
        var seconds = Math.Min(60, 2 * Math.Pow(2, inARow - 1));
        return (TimeSpan.FromSeconds(seconds), inARow);
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
            var variables = new Dictionary<string, string>
            {
                [RejoinPlan.Variable] = plan.ToEnvironment(),
                [RejoinPlan.CountVariable] = (RejoinPlan.Count() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                [TlsRestartsVariable] = "0",
            };
            if (membership.LostATlsHandshake)
            {
                // Not at once: a peer that fails every handshake (a listener that drops connections, or this node's
                // own certificate refused) would otherwise have it start again as fast as it can, a core's worth of
                // starts; a service manager's restart delay does the same for the exit below.
                var (delay, inARow) = TlsRestartWait(membership.LastKnownOthers.Count > 0, Environment.GetEnvironmentVariable(TlsRestartsVariable));
                variables[TlsRestartsVariable] = inARow.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Console.Error.WriteLine($"actorcompile-node: a TLS handshake with another node failed and Akka stopped this node for it; starting again in {delay.TotalSeconds:0} s to rejoin the cluster{through}");
                Thread.Sleep(delay);
                // A stop asked for while it waited is a stop (the runtime's own SIGTERM handling may already be ending it).
                if (signals.Received) return 0;
            }
            else
                Console.Error.WriteLine($"actorcompile-node: this node was removed from the cluster; starting again to rejoin it{through}");
            var failure = ProcessRestart.Exec(variables);
            Console.Error.WriteLine($"actorcompile-node: cannot start again ({failure}); exiting with code 1 for the service manager to restart this node");
            return 1;
        }
        Console.Error.WriteLine($"actorcompile-node: {membership.Describe()} without SIGTERM or SIGINT; exiting with code 1 for the service manager to restart this node");
        return 1;
    }
}
