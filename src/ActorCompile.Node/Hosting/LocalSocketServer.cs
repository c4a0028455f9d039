using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using ActorCompile.Coordinator;
using ActorCompile.Coordinator.Actors;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Configuration;
using ActorCompile.Node.Sessions;
using ActorCompile.Node.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// The node's Unix socket for the wrapper and the status CLI. Each connection is admitted by its
/// caller's user (peer credentials, <see cref="SocketAdmission"/>) and gets a <see cref="WrapperSession"/>
/// actor that knows that caller; frames are read and decoded by <see cref="SocketClient"/>, and a
/// malformed, oversized or late one is answered with an error and the connection closed. The socket file
/// is removed when the node stops.
/// </summary>
public sealed class LocalSocketServer(
    NodeConfiguration configuration,
    ActorSystem system,
    ActorRegistry registry,
    FileMemo files,
    ILogger<LocalSocketServer> log) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private readonly SocketLimits _limits = configuration.SocketLimits;
    private readonly SocketAdmission _admission = new(configuration.SocketLimits);
    private long _connections;
    private IActorRef? _cache;

    public string SocketPath => configuration.SocketPath;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = configuration.SocketPath;
        var directory = Path.GetDirectoryName(path)!;
        int? group = null;
        if (configuration.SocketGroup.Length > 0)
        {
            group = ActorCompile.Toolchain.Processes.Native.GroupId(configuration.SocketGroup)
                ?? throw new ConfigurationException($"{configuration.Origin("actorcompile.socket-group")}: actorcompile.socket-group = {configuration.SocketGroup} is not a group on this machine");
        }
        if (!Directory.Exists(directory))
        {
            var info = Directory.CreateDirectory(directory);
            // Only the node's user may change the directory; the socket's group may enter it.
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | (group is null ? 0 : UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            if (group is { } g) ActorCompile.Toolchain.Processes.Native.ChangeGroup(directory, g);
        }
        CheckDirectory(directory);
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
        // Bound under a name of its own, given its mode and group, then renamed into place: the socket never
        // appears at its path with the process umask's mode, not even for an instant.
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var bound = $"{path}.{Environment.ProcessId}.new";
        File.Delete(bound);
        listener.Bind(new UnixDomainSocketEndPoint(bound));
        File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        if (group is { } socketGroup && !ActorCompile.Toolchain.Processes.Native.ChangeGroup(bound, socketGroup))
        {
            File.Delete(bound);
            throw new ConfigurationException($"cannot give the socket {path} to group {configuration.SocketGroup}; is this node's user a member of it?");
        }
        listener.Listen(512);
        File.Move(bound, path, overwrite: true);
        _listener = listener;
        _acceptLoop = AcceptLoop(listener);
        log.LogInformation("listening on {Socket}", path);
        return Task.CompletedTask;
    }

    private async Task AcceptLoop(Socket listener)
    {
        registry.TryGet<CoordinatorActor>(out var coordinator);
        if (registry.TryGet<ActorCompile.Node.Cache.ResultCacheActor>(out var cache)) _cache = cache;
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
            Admit(client, coordinator, hub);
        }
    }

    /// <summary>Serves a connection when the caller's user and the node have room for it; refuses it with the reason otherwise.</summary>
    private void Admit(Socket client, IActorRef? coordinator, IActorRef hub)
    {
        PeerCredentials caller;
        try
        {
            caller = PeerCredentials.Of(client);
        }
        catch (SocketException e)
        {
            _ = Refuse(client, $"the node cannot tell who connected ({e.Message})");
            return;
        }
        if (_admission.TryAdmit(caller.Uid, out var refusal) is not { } user)
        {
            log.LogWarning("refused a client of {Caller}: {Reason}", caller, refusal);
            _ = Refuse(client, refusal!);
            return;
        }
        _ = Serve(new SocketClient(client, caller, _limits, user.Budget), user, coordinator, hub);
    }

    private static async Task Refuse(Socket client, string why)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        try { await stream.WriteAsync(Frames.Encode(new ErrorReply(why))); }
        catch (Exception e) when (e is IOException or SocketException) { } // the client left first: nothing to tell it
    }

    /// <summary>
    /// The socket's directory must belong to this node's user and be writable by nobody else: otherwise
    /// another user could replace the socket and talk to every wrapper.
    /// </summary>
    private static void CheckDirectory(string directory)
    {
        var info = ActorCompile.Toolchain.Processes.Native.OwnerAndMode(directory)
            ?? throw new ConfigurationException($"cannot inspect the socket directory {directory}");
        if (info.Uid != ActorCompile.Toolchain.Processes.Native.UserId())
            throw new ConfigurationException($"the socket directory {directory} belongs to another user (uid {info.Uid}); give this node another --socket");
        if ((info.Mode & 0x12) != 0) // group or others may write
            throw new ConfigurationException($"the socket directory {directory} is writable by other users (mode {Convert.ToString(info.Mode & 0xfff, 8)}); make it 0700 or 0750, or give this node another --socket");
    }

    private async Task Serve(SocketClient client, SocketAdmission.SocketUser user, IActorRef? coordinator, IActorRef hub)
    {
        var session = system.ActorOf(WrapperSession.Props(client, client.Caller, coordinator, hub,
                new SessionSettings(configuration.MaxJobBytes, files, _cache, configuration.CacheVerifyRate, configuration.CoordinatorJobTimeout)),
            $"session-{Interlocked.Increment(ref _connections)}");
        try
        {
            await client.ReadLoop(session, _stopping.Token);
        }
        catch (Exception e) when (e is ProtocolException or FrameTimeoutException)
        {
            if (e is ProtocolException) log.LogWarning("refused a malformed frame of {Caller} on {Socket}: {Message}", client.Caller, configuration.SocketPath, e.Message);
            else log.LogWarning("closed a connection of {Caller} on {Socket}: {Message}", client.Caller, configuration.SocketPath, e.Message);
            client.Send(new ErrorReply(e.Message));
            client.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // The client went away, the session closed the connection, or the node is stopping.
        }
        finally
        {
            _admission.Leave(user);
            session.Tell(ConnectionClosed.Instance);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            File.Delete(configuration.SocketPath);
            log.LogInformation("removed {Socket}", configuration.SocketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next node on this path finds it, sees nobody listening and removes it (StartAsync).
            log.LogWarning("could not remove {Socket}: {Message}", configuration.SocketPath, e.Message);
        }
    }
}
