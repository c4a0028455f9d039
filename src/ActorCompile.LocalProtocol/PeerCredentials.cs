using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ActorCompile.LocalProtocol;

/// <summary>
/// Who is at the other end of a connected Unix socket, as the kernel says (SO_PEERCRED): the process
/// that connected (seen by the node) or the one that listens (seen by the wrapper). Nothing the peer
/// sends can change it.
/// </summary>
public sealed record PeerCredentials(uint Uid, uint Gid, int Pid)
{
    private const int SolSocket = 1, SoPeerCred = 17; // Linux, every architecture .NET runs on

    [StructLayout(LayoutKind.Sequential)]
    private struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    /// <summary>The peer's credentials; throws <see cref="SocketException"/> when the kernel gives none.</summary>
    public static PeerCredentials Of(Socket socket)
    {
        var cred = new UCred();
        var bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref cred, 1));
        if (socket.GetRawSocketOption(SolSocket, SoPeerCred, bytes) < bytes.Length)
            throw new SocketException((int)SocketError.ProtocolOption);
        return new PeerCredentials(cred.Uid, cred.Gid, cred.Pid);
    }

    public override string ToString() => $"uid {Uid} (pid {Pid})";
}
