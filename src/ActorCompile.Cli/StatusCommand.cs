using System.Globalization;
using System.CommandLine;
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

    private static readonly Option<bool> Json = new("--json") { Description = "the same data as JSON, for programs (schema in the README)" };
    private static readonly Option<bool> WatchOption = new("--watch") { Description = "redraw about once a second until Ctrl-C" };

    /// <summary>The status command, for the CLI's root command.</summary>
    public static Command Build()
    {
        var status = new Command("status", "show the cluster as the local node sees it: members, workers, coordinators, jobs");
        status.Options.Add(Json);
        status.Options.Add(WatchOption);
        status.Validators.Add(r =>
        {
            if (r.GetValue(Json) && r.GetValue(WatchOption)) r.AddError("--json and --watch do not go together");
        });
        status.SetAction(r => Status(r.GetValue(Json), r.GetValue(WatchOption)));
        return status;
    }

    public static int Status(bool json, bool watch)
    {
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
