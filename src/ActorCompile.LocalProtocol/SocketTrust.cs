using System.Net.Sockets;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// Whether a client may talk to the node socket at a path. A wrapper sends its sources to the node and
/// writes back the objects it returns, so the node must be one the user trusts anyway: the user itself,
/// root, or the node's service user (<see cref="ServiceUser"/>). The socket, its directory and every
/// directory above must belong to one of them; the socket's directory must be writable by nobody else
/// (another user could otherwise put a socket of their own there before the node starts); a directory
/// above may be writable by others only with the sticky bit (like /tmp: nobody else can then rename an
/// entry that is not theirs). Symbolic links are resolved first and the canonical path is what the
/// client connects to, so nobody can redirect it between the check and the connection. After the
/// connection, the process that listens must be one of those users too: a socket that looks right but
/// is served by someone else is refused as well.
/// </summary>
public static class SocketTrust
{
    /// <summary>The user the node runs as when installed as a service (src/packaging).</summary>
    public const string ServiceUser = "actorcompile";

    private const uint GroupOrOthersWrite = 0x12, Sticky = 0x200;

    /// <summary>The uids whose nodes this process may use: itself, root and the service user (when it exists).</summary>
    public static IReadOnlySet<uint> TrustedOwners()
    {
        var owners = new HashSet<uint> { Native.UserId(), 0 };
        if (ServiceUserId() is { } service) owners.Add(service);
        return owners;
    }

    /// <summary>The uid of <see cref="ServiceUser"/>, or null when there is no such user here.</summary>
    public static uint? ServiceUserId() => Native.UserIds(ServiceUser)?.Uid;

    /// <summary>
    /// The canonical path of the socket at <paramref name="path"/> when it, its directory and the
    /// directories above may be trusted; otherwise null, with the reason.
    /// </summary>
    public static string? Check(string path, IReadOnlySet<uint> trusted, out string? problem)
    {
        problem = null;
        var directory = Native.RealPath(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/");
        if (directory is null)
        {
            problem = $"cannot resolve the directory of {path}";
            return null;
        }
        var socket = Path.Combine(directory, Path.GetFileName(path));
        if (Describe(socket, trusted, "the socket") is { } bad) { problem = bad; return null; }
        if (Kind(socket) != Native.SocketFileType) { problem = $"{socket} is not a socket"; return null; }
        var writable = Mode(directory) & GroupOrOthersWrite;
        if (Describe(directory, trusted, "its directory") is { } badDirectory) { problem = badDirectory; return null; }
        if (writable != 0)
        {
            problem = $"its directory {directory} is writable by other users (mode {Convert.ToString(Mode(directory) & 0xfff, 8)})";
            return null;
        }
        for (var above = Path.GetDirectoryName(directory); above is not null; above = Path.GetDirectoryName(above))
        {
            if (Describe(above, trusted, "the directory above it") is { } badAbove) { problem = badAbove; return null; }
            var mode = Mode(above);
            if ((mode & GroupOrOthersWrite) != 0 && (mode & Sticky) == 0)
            {
                problem = $"the directory {above} above it is writable by other users (mode {Convert.ToString(mode & 0xfff, 8)})";
                return null;
            }
        }
        return socket;
    }

    /// <summary>Null when the process listening on a connected socket is a trusted user; otherwise why not.</summary>
    public static string? CheckListener(Socket socket, IReadOnlySet<uint> trusted)
    {
        PeerCredentials peer;
        try
        {
            peer = PeerCredentials.Of(socket);
        }
        catch (SocketException e)
        {
            return $"the kernel does not say who serves it ({e.Message})";
        }
        return trusted.Contains(peer.Uid) ? null : $"it is served by {peer}, {Owners(trusted)}";
    }

    private static string Owners(IReadOnlySet<uint> trusted) => $"not by you, root or {ServiceUser}";

    private static string? Describe(string path, IReadOnlySet<uint> trusted, string what)
    {
        var info = Stat(path);
        if (info is null) return $"{what} {path} cannot be inspected";
        return trusted.Contains(info.Value.Uid) ? null : $"{what} {path} belongs to uid {info.Value.Uid}, {Owners(trusted)}";
    }

    private static (uint Uid, uint Mode)? Stat(string path) => Native.OwnerAndMode(path);

    private static uint Mode(string path) => Stat(path)?.Mode ?? 0;

    private static uint Kind(string path) => Mode(path) & Native.FileTypeMask;
}
