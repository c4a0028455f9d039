using ActorCompile.Toolchain.Processes;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// Where the node listens: $ACTORCOMPILE_SOCKET, else $XDG_RUNTIME_DIR/actorcompile/node.sock, else
/// /tmp/actorcompile-$UID/node.sock. Clients also find the system service's socket, <see cref="Service"/>.
/// </summary>
public static class SocketPath
{
    public const string EnvironmentVariable = "ACTORCOMPILE_SOCKET";

    public static string Default(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        if (getVariable(EnvironmentVariable) is { Length: > 0 } explicitPath) return explicitPath;
        if (getVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime) return Path.Combine(runtime, "actorcompile", "node.sock");
        return $"/tmp/actorcompile-{Native.UserId()}/node.sock";
    }

    /// <summary>The socket of the node installed as a system service (its unit and init script say so).</summary>
    public const string Service = "/run/actorcompile/node.sock";

    /// <summary>
    /// The socket a client (wrapper, status) uses: $ACTORCOMPILE_SOCKET when set; else the system
    /// service's when it is there; else the user's own default (which the error then names). The service
    /// comes first: its directory (/run/actorcompile) is one no other user can create, whereas
    /// /tmp/actorcompile-$UID can be made by anyone before its owner does. Whichever is chosen, the
    /// client checks it before use (<see cref="SocketTrust"/>).
    /// </summary>
    public static string ForClient(Func<string, string?>? getVariable = null, Func<string, bool>? exists = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        exists ??= File.Exists;
        if (getVariable(EnvironmentVariable) is { Length: > 0 } explicitPath) return explicitPath;
        return exists(Service) ? Service : Default(getVariable);
    }
}
