using System.Globalization;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;
using Spectre.Console;

namespace ActorCompile.Cli;

/// <summary>actorcompile status, -j and --show-hosts: ask the local node (never the cluster) and print.</summary>
public static class StatusCommand
{
    public static ClusterStatus? Fetch(out string? error)
    {
        error = null;
        var path = SocketPath.ForClient();
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
        bool json = false, watch = false;
        foreach (var a in args)
        {
            if (a == "--json") json = true;
            else if (a == "--watch") watch = true;
            else
            {
                Console.Error.WriteLine($"actorcompile status: unknown option {a} (known: --json, --watch)");
                return ExitCodes.Usage;
            }
        }
        if (json && watch)
        {
            Console.Error.WriteLine("actorcompile status: --json and --watch do not go together");
            return ExitCodes.Usage;
        }
        var status = Fetch(out var error);
        if (status is null)
        {
            Console.Error.WriteLine($"actorcompile: {error}");
            return ExitCodes.NoNode;
        }
        if (json)
        {
            Console.WriteLine(StatusJson.Serialize(status));
            return 0;
        }
        if (watch) return Watch(status);
        // Into a pipe or a file the tables need not fit 80 columns.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
        AnsiConsole.Write(StatusView.Build(status));
        return 0;
    }

    /// <summary>Redraws about once a second until Ctrl-C; a lost node is shown, not fatal.</summary>
    private static int Watch(ClusterStatus first)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AnsiConsole.Live(StatusView.Build(first)).AutoClear(false).Start(context =>
        {
            while (!stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                var status = Fetch(out var error);
                context.UpdateTarget(status is null
                    ? new Markup(Markup.Escape($"actorcompile: {error}"))
                    : StatusView.Build(status));
                context.Refresh();
            }
        });
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
}
