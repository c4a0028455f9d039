using System.CommandLine;
using System.Globalization;
using ActorCompile.LocalProtocol;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Toolchain.Jobs;
using Spectre.Console;

namespace ActorCompile.Cli;

/// <summary>actorcompile cache stats|clear: the result cache as the local node sees it, and emptying it.</summary>
public static class CacheCommand
{
    private static readonly Option<bool> Json = new("--json") { Description = "the cache's part of the status as JSON (schema in the README)" };

    public static Command Build()
    {
        var cache = new Command("cache", "the result cache the cluster shares: stats, clear");
        var stats = new Command("stats", "hits, direct hits, misses and hit rate per coordinator and for the cluster, and what each node keeps");
        stats.Options.Add(Json);
        stats.SetAction(r => Stats(r.GetValue(Json)));
        var clear = new Command("clear", "empty the local node's store of results (root or the node's user) and your own direct-mode records");
        clear.SetAction(_ => Clear());
        cache.Subcommands.Add(stats);
        cache.Subcommands.Add(clear);
        cache.SetAction(_ => Stats(json: false));
        return cache;
    }

    private static int Stats(bool json)
    {
        var status = StatusCommand.Fetch(out var error);
        if (status is null)
        {
            Console.Error.WriteLine($"actorcompile: {error}");
            return ExitCodes.NoNode;
        }
        if (json)
        {
            Console.WriteLine(StatusJson.SerializeCache(status.Cache ?? new ClusterCacheStatus(new CacheStatus(0, 0, 0, 0, 0, 0, 0), Array.Empty<CacheStoreStatus>())));
            return 0;
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
        AnsiConsole.Write(StatusView.Cache(status));
        return 0;
    }

    private static int Clear()
    {
        var exit = 0;
        try
        {
            using var node = NodeClient.Connect(SocketPath.ForClient());
            node.ReceiveTimeout = TimeSpan.FromSeconds(70);
            node.Send(new CacheClearRequest());
            switch (node.Receive())
            {
                case CacheCleared c:
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the node dropped {c.Entries} result(s), {Sizes.Format(c.Bytes)}"));
                    break;
                case ErrorReply e:
                    Console.Error.WriteLine($"actorcompile: {e.Message}");
                    exit = 1;
                    break;
                case var other:
                    Console.Error.WriteLine($"actorcompile: the node sent an unexpected {other.Type}");
                    exit = 1;
                    break;
            }
        }
        catch (Exception e) when (e is NodeUnavailableException or ProtocolException)
        {
            Console.Error.WriteLine($"actorcompile: {e.Message}");
            exit = ExitCodes.NoNode;
        }
        return exit;
    }
}
