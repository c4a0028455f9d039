using System.Runtime.InteropServices;

namespace ActorCompile.LocalProtocol;

/// <summary>Where the node listens: $ACTORCOMPILE_SOCKET, else $XDG_RUNTIME_DIR/actorcompile/node.sock, else /tmp/actorcompile-$UID/node.sock.</summary>
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
}
