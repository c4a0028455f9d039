using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Sessions;

namespace ActorCompile.Node.Hosting;

/// <summary>The bounds of the local socket, all from the configuration.</summary>
/// <param name="Clients">Connections at once, in all.</param>
/// <param name="ClientsPerUser">Connections at once of one user (peer uid).</param>
/// <param name="LargestFrameBytes">The longest frame: the contents of the largest job (JobLimits.FrameBytes of max-job-size); only the answer to a request for contents may be this long.</param>
/// <param name="SmallFrameBytes">The longest of every other frame (requests, manifests, reports).</param>
/// <param name="BufferPerUserBytes">Bytes one user's unfinished frames may hold at once (at least one largest frame).</param>
/// <param name="IdleTimeout">How long a client may take to send its first frame, to finish a frame it started, or to take a frame the node sends.</param>
public sealed record SocketLimits(int Clients, int ClientsPerUser, int LargestFrameBytes, int SmallFrameBytes, long BufferPerUserBytes, TimeSpan IdleTimeout);

/// <summary>A frame that did not arrive in time; the connection is answered with an error and closed.</summary>
public sealed class FrameTimeoutException(string message) : Exception(message);

/// <summary>
/// One client of the local socket. The node reads the client's next frame only after it answered the
/// last one (the conversation in <see cref="LocalMessage"/> alternates), so a client can never queue
/// frames in the node's memory; a frame may only be as long as what the node asked for (contents after
/// <see cref="NeedFiles"/> or a scan's answers that ask for them, small messages otherwise) and is read into memory only once the user's byte
/// budget has room for it. Timeouts follow the conversation's state: the first frame must arrive within
/// the idle timeout of the connection, and a started frame must be finished within it; while the wrapper
/// works (a dependency scan, a probe, a local compile) there is no limit: it holds only its own user's
/// places. Frames to the client are written in order by one writer; one the client does not take within
/// the idle timeout ends the connection.
/// </summary>
public sealed class SocketClient : ISessionConnection
{
    private readonly NetworkStream _stream;
    private readonly SocketLimits _limits;
    private readonly ByteBudget _budget;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _answered = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private volatile int _nextFrameLimit;

    public PeerCredentials Caller { get; }

    public SocketClient(Socket socket, PeerCredentials caller, SocketLimits limits, ByteBudget budget)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        Caller = caller;
        _limits = limits;
        _budget = budget;
        _nextFrameLimit = limits.SmallFrameBytes;
        _ = WriteLoop();
    }

    /// <summary>Queues a frame for the client; any answer but a heartbeat lets the client send its next frame.</summary>
    public void Send(LocalMessage message)
    {
        if (message is not Heartbeat)
        {
            // Contents arrive after the node asked for them: files it does not know (a scan's answers, which the
            // next round or the manifest brings) or files to read again (NeedFiles).
            _nextFrameLimit = message is NeedFiles || (message is ScanAnswers a && a.Directives.Any(d => d is null)) || message is Rescan
                ? _limits.LargestFrameBytes : _limits.SmallFrameBytes;
            if (_answered.CurrentCount == 0) _answered.Release(); // only the session's one thread answers
        }
        _outgoing.Writer.TryWrite(Frames.Encode(message));
    }

    /// <summary>Sends what is queued, then closes; reading stops at once.</summary>
    public void Close()
    {
        _outgoing.Writer.TryComplete();
        _closed.Cancel();
    }

    /// <summary>Reads frames and hands them to the session until the client leaves, misbehaves, or the node stops.</summary>
    public async Task ReadLoop(IActorRef session, CancellationToken stopping)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var first = true;
        while (true)
        {
            await _answered.WaitAsync(reading.Token);
            var message = await ReadFrame(first, reading.Token);
            if (message is null) return;
            first = false;
            session.Tell(new FrameReceived(message));
        }
    }

    private async Task<LocalMessage?> ReadFrame(bool first, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (first) deadline.CancelAfter(_limits.IdleTimeout);
        try
        {
            var header = new byte[4];
            if (await _stream.ReadAsync(header.AsMemory(0, 1), first ? deadline.Token : token) == 0) return null;
            if (!first) deadline.CancelAfter(_limits.IdleTimeout);
            if (await _stream.ReadAtLeastAsync(header.AsMemory(1), 3, throwOnEndOfStream: false, deadline.Token) < 3)
                throw new ProtocolException("connection closed inside a frame header");
            var length = Frames.CheckLength(header, _nextFrameLimit);
            using var room = await _budget.ReserveAsync(length, deadline.Token);
            return Frames.Decode(await Frames.ReadBodyAsync(_stream, length, deadline.Token));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            throw new FrameTimeoutException(first
                ? $"no request within {_limits.IdleTimeout.TotalSeconds:0.#} s of connecting (actorcompile.socket-idle-timeout)"
                : $"a frame was not finished within {_limits.IdleTimeout.TotalSeconds:0.#} s (actorcompile.socket-idle-timeout)");
        }
    }

    private async Task WriteLoop()
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync())
            {
                using var taken = new CancellationTokenSource(_limits.IdleTimeout);
                await _stream.WriteAsync(frame, taken.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // The client went away or does not read: nothing more can reach it; the connection closes below.
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            _closed.Cancel();
            await _stream.DisposeAsync();
        }
    }
}
