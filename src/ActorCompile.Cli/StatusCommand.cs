using System.Globalization;
using System.Text;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;

namespace ActorCompile.Cli;

/// <summary>actorcompile status, -j and --show-hosts: ask the local node (never the cluster) and print.</summary>
public static class StatusCommand
{
    public static ClusterStatus? Fetch(out string? error)
    {
        error = null;
        var path = SocketPath.Default();
        try
        {
            using var node = NodeClient.Connect(path);
            node.ReceiveTimeout = TimeSpan.FromSeconds(10);
            node.Send(new StatusRequest());
            if (node.Receive() is StatusReply reply) return StatusJson.Deserialize(reply.Json);
            error = "the node sent an unexpected reply";
        }
        catch (NodeUnavailableException e)
        {
            error = $"no node is running ({e.Message}).\nStart one with: actorcompile-node --roles coordinator,worker\n(or set ACTORCOMPILE_SOCKET to the socket of a running node)";
        }
        catch (ProtocolException e)
        {
            error = $"the node's status could not be read: {e.Message}";
        }
        return null;
    }

    public static int Status(IReadOnlyList<string> args)
    {
        bool json = false;
        foreach (var a in args)
        {
            if (a == "--json") json = true;
            else
            {
                Console.Error.WriteLine($"actorcompile status: unknown option {a} (known: --json)");
                return ExitCodes.Usage;
            }
        }
        var status = Fetch(out var error);
        if (status is null)
        {
            Console.Error.WriteLine($"actorcompile: {error}");
            return ExitCodes.NoNode;
        }
        Console.WriteLine(json ? StatusJson.Serialize(status) : Render(status));
        return 0;
    }

    public static int Jobs()
    {
        var status = Fetch(out var error);
        if (status is null)
        {
            Console.Error.WriteLine($"actorcompile: {error}");
            return ExitCodes.NoNode;
        }
        var own = status.Coordinators.FirstOrDefault(c => c.Address == status.Node);
        Console.WriteLine(status.SuggestedJobs(own?.LocalSlots ?? Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    public static int ShowHosts()
    {
        var status = Fetch(out var error);
        if (status is null)
        {
            Console.Error.WriteLine($"actorcompile: {error}");
            return ExitCodes.NoNode;
        }
        foreach (var w in status.Workers) Console.WriteLine($"{w.Address}/{w.Slots.ToString(CultureInfo.InvariantCulture)}{(w.State == "up" ? "" : " (" + w.State + ")")}");
        return 0;
    }

    /// <summary>A plain table of the cluster (the full-screen view is status --watch).</summary>
    public static string Render(ClusterStatus s)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"cluster seen from {s.Node}: {s.Members.Count} member(s), {s.Workers.Count} worker(s), {s.Workers.Where(w => w.State == "up").Sum(w => w.Slots)} slot(s)");
        sb.AppendLine();
        sb.AppendLine("WORKER                 STATE        SLOTS  BUSY  DONE  FAILED  TOOLCHAINS");
        foreach (var w in s.Workers)
        {
            var tc = string.Join("; ", w.Toolchains.Select(t => $"{t.Name} {t.Version} {t.Fingerprint[..Math.Min(12, t.Fingerprint.Length)]}"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"{w.Address,-22} {w.State,-12} {w.Slots,5} {w.Running,5} {w.Completed,5} {w.Failed,7}  {tc}");
        }
        foreach (var w in s.Workers)
            foreach (var r in w.RefusedCoordinators)
                sb.AppendLine(CultureInfo.InvariantCulture, $"{w.Address} refuses coordinator {r}");
        if (s.Coordinators.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("COORDINATOR            QUEUED  IN FLIGHT  LOCAL SLOTS  DISTRIBUTED  LOCAL");
            foreach (var c in s.Coordinators)
                sb.AppendLine(CultureInfo.InvariantCulture, $"{c.Address,-22} {c.Queued,6} {c.InFlight,10} {c.LocalSlotsBusy,6}/{c.LocalSlots,-5} {c.Distributed,11} {c.Local,6}");
        }
        foreach (var c in s.Coordinators)
            foreach (var u in c.UnservedToolchains)
                sb.AppendLine(CultureInfo.InvariantCulture, $"no worker offers {u.Name} {u.Version} ({u.Target}, {u.Fingerprint[..Math.Min(12, u.Fingerprint.Length)]}): {u.Compiles} compile(s) of {c.Address} ran locally; install it on a helper, or offer it with --toolchain");
        if (s.Jobs.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("JOB       SOURCE                          PHASE          WORKER                 ELAPSED");
            foreach (var j in s.Jobs)
                sb.AppendLine(CultureInfo.InvariantCulture, $"{j.Id,-9} {j.Source,-31} {j.Phase,-14} {j.Worker ?? "-",-22} {j.ElapsedSeconds,6:0.0}s");
        }
        return sb.ToString().TrimEnd();
    }
}
