using System.Net.Sockets;

namespace ActorCompile.LocalProtocol;

/// <summary>Why the wrapper could not talk to a node.</summary>
public sealed class NodeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A blocking connection to the local node, for the wrapper and the CLI (which run one conversation and exit).</summary>
public sealed class NodeClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public string Path { get; }

    private NodeClient(string path, Socket socket)
    {
        Path = path;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>The longest frame this client reads; the wrapper raises it to the largest result a node may send.</summary>
    public int MaximumFrameLength { get; set; } = Frames.DefaultMaximumLength;

    /// <summary>
    /// Connects to the node at <paramref name="path"/> after checking who owns it and, once connected,
    /// who serves it (<see cref="SocketTrust"/>); a socket that fails a check is refused before any byte
    /// is sent to it.
    /// </summary>
    public static NodeClient Connect(string path)
    {
        if (!File.Exists(path))
            throw new NodeUnavailableException($"no node socket at {path}");
        var trusted = SocketTrust.TrustedOwners();
        var target = SocketTrust.Check(path, trusted, out var problem)
            ?? throw new NodeUnavailableException($"refused the node socket {path}: {problem}");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(target));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new NodeUnavailableException($"cannot connect to the node at {path}: {e.Message}", e);
        }
        if (SocketTrust.CheckListener(socket, trusted) is { } stranger)
        {
            socket.Dispose();
            throw new NodeUnavailableException($"refused the node socket {path}: {stranger}");
        }
        return new NodeClient(path, socket);
    }

    /// <summary>How long a receive may wait before the node counts as gone; the node sends heartbeats while a job is pending.</summary>
    public TimeSpan ReceiveTimeout
    {
        get => TimeSpan.FromMilliseconds(_socket.ReceiveTimeout);
        set => _socket.ReceiveTimeout = (int)Math.Min(int.MaxValue, value.TotalMilliseconds);
    }

    public void Send(LocalMessage message)
    {
        try
        {
            _stream.Write(Frames.Encode(message));
        }
        catch (IOException e)
        {
            throw new NodeUnavailableException($"the node at {Path} closed the connection: {e.Message}", e);
        }
    }

    /// <summary>The next message other than a heartbeat.</summary>
    public LocalMessage Receive()
    {
        while (true)
        {
            LocalMessage? m;
            try
            {
                m = Frames.Read(_stream, MaximumFrameLength);
            }
            catch (IOException e)
            {
                throw new NodeUnavailableException($"the node at {Path} stopped answering: {e.Message}", e);
            }
            catch (ProtocolException e)
            {
                throw new NodeUnavailableException($"the node at {Path} sent a malformed reply: {e.Message}", e);
            }
            switch (m)
            {
                case null: throw new NodeUnavailableException($"the node at {Path} closed the connection");
                case Heartbeat: continue;
                case ErrorReply error: throw new NodeUnavailableException($"the node at {Path} refused the request: {error.Message}");
                default: return m;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
