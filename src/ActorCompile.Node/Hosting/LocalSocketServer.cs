using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using ActorCompile.Coordinator;
using ActorCompile.Coordinator.Actors;
using ActorCompile.Coordinator.Sessions;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Configuration;
using ActorCompile.Node.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// The node's Unix socket for the wrapper and the status CLI. Each connection gets a
/// <see cref="WrapperSession"/> actor; frames are decoded here, and a malformed one is answered with an
/// error and the connection closed. The socket file is removed when the node stops.
/// </summary>
public sealed class LocalSocketServer(
    NodeConfiguration configuration,
    ActorSystem system,
    ActorRegistry registry,
    BlobStore blobs,
    ILogger<LocalSocketServer> log) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _connections;

    public string SocketPath => configuration.SocketPath;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = configuration.SocketPath;
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            var info = Directory.CreateDirectory(directory);
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }
        if (File.Exists(path))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new ConfigurationException($"another node already listens on {path}; stop it or give this one --socket PATH");
            }
            catch (SocketException)
            {
                File.Delete(path); // left behind by a node that did not stop cleanly
            }
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        listener.Listen(512);
        _listener = listener;
        _acceptLoop = AcceptLoop(listener);
        log.LogInformation("listening on {Socket}", path);
        return Task.CompletedTask;
    }

    private async Task AcceptLoop(Socket listener)
    {
        registry.TryGet<CoordinatorActor>(out var coordinator);
        var hub = registry.Get<StatusHub>();
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested) return;
                log.LogWarning("accept failed: {Message}", e.Message);
                continue;
            }
            _ = Serve(client, coordinator, hub);
        }
    }

    private async Task Serve(Socket client, IActorRef? coordinator, IActorRef hub)
    {
        var connection = new SocketConnection(client);
        var session = system.ActorOf(WrapperSession.Props(connection, coordinator, hub, blobs), $"session-{Interlocked.Increment(ref _connections)}");
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var message = await Frames.ReadAsync(connection.Stream, Frames.DefaultMaximumLength, _stopping.Token);
                if (message is null) break;
                session.Tell(new FrameReceived(message));
            }
        }
        catch (ProtocolException e)
        {
            log.LogWarning("refused a malformed frame on {Socket}: {Message}", configuration.SocketPath, e.Message);
            connection.Send(new ErrorReply(e.Message));
            connection.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // The client went away, or the node is stopping.
        }
        finally
        {
            session.Tell(ConnectionClosed.Instance);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try { File.Delete(configuration.SocketPath); } catch (IOException) { }
        log.LogInformation("removed {Socket}", configuration.SocketPath);
    }

    /// <summary>One client: frames are written in order by a single writer task; Close flushes, then closes.</summary>
    private sealed class SocketConnection : ISessionConnection
    {
        private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

        public NetworkStream Stream { get; }

        public SocketConnection(Socket socket)
        {
            Stream = new NetworkStream(socket, ownsSocket: true);
            _ = WriteLoop();
        }

        public void Send(LocalMessage message) => _outgoing.Writer.TryWrite(Frames.Encode(message));

        public void Close() => _outgoing.Writer.TryComplete();

        private async Task WriteLoop()
        {
            try
            {
                await foreach (var frame in _outgoing.Reader.ReadAllAsync())
                    await Stream.WriteAsync(frame);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
            }
            finally
            {
                await Stream.DisposeAsync();
            }
        }
    }
}
