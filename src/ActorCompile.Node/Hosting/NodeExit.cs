namespace ActorCompile.Node.Hosting;

/// <summary>
/// How the process ends once its host has stopped. Exit code 0 only after SIGTERM or SIGINT (a clean
/// leave): anything else must look like a failure to a service manager (Restart=on-failure), and a node
/// the cluster removed starts again at once to rejoin it.
/// </summary>
public static class NodeExit
{
    public static int AfterStop(StopSignals signals, MembershipRecord membership)
    {
        if (signals.Received || membership.StoppedByHost) return 0;
        if (membership.RemovedFromCluster && membership.Self is { } self)
        {
            var plan = new RejoinPlan(self, membership.LastKnownOthers);
            Console.Error.WriteLine($"actorcompile-node: this node was removed from the cluster; starting again to rejoin it"
                + (plan.Members.Count > 0 ? $" through {string.Join(", ", plan.Members)}" : ""));
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
