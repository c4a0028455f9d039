using System.Runtime.InteropServices;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// Where the node listens: $ACTORCOMPILE_SOCKET, else $XDG_RUNTIME_DIR/actorcompile/node.sock, else
/// /tmp/actorcompile-$UID/node.sock. Clients also find the system service's socket, <see cref="Service"/>.
/// </summary>
public static partial class SocketPath
{
    public const string EnvironmentVariable = "ACTORCOMPILE_SOCKET";

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint getuid();

    public static string Default(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        if (getVariable(EnvironmentVariable) is { Length: > 0 } explicitPath) return explicitPath;
        if (getVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime) return Path.Combine(runtime, "actorcompile", "node.sock");
        return $"/tmp/actorcompile-{getuid()}/node.sock";
    }

    /// <summary>The socket of the node installed as a system service (its unit and init script say so).</summary>
    public const string Service = "/run/actorcompile/node.sock";

    /// <summary>
    /// The socket a client (wrapper, status) uses: $ACTORCOMPILE_SOCKET when set; else the user's own
    /// node's socket when one is there; else the system service's when that is there; else the user's
    /// default (which the error then names).
    /// </summary>
    public static string ForClient(Func<string, string?>? getVariable = null, Func<string, bool>? exists = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        exists ??= File.Exists;
        var own = Default(getVariable);
        if (getVariable(EnvironmentVariable) is { Length: > 0 } || exists(own)) return own;
        return exists(Service) ? Service : own;
    }
}
