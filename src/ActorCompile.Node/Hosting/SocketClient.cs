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
/// places. Frames to the client are written in order: directly from the caller's thread when nothing is
/// waiting and the socket takes the whole frame at once (a non-blocking send: the session's thread never
/// waits on the client), otherwise by one writer that a frame the client does not take within the idle
/// timeout ends the connection. Both shortcuts (this one, and reading a frame's first byte before the node
/// answered the last one) spare a thread-pool hop per frame: a target's node pays a thread wake-up for each.
/// </summary>
public sealed class SocketClient : ISessionConnection
{
    private readonly NetworkStream _stream;
    private readonly Socket _socket;
    /// <summary>Guards <see cref="_queued"/>: frames handed to the writer and not yet written.</summary>
    private readonly object _writing = new();
    private int _queued;
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
        _socket = socket;
        // Synchronous sends return at once with what the socket took (WouldBlock when full); the stream's
        // reads and the writer's writes are asynchronous and unaffected.
        _socket.Blocking = false;
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
        var frame = Frames.Encode(message);
        lock (_writing)
        {
            if (_queued == 0)
            {
                int sent;
                try
                {
                    sent = _socket.Send(frame, 0, frame.Length, SocketFlags.None, out var error);
                    if (error is not (SocketError.Success or SocketError.WouldBlock)) sent = 0; // the writer meets the error and closes
                }
                catch (ObjectDisposedException)
                {
                    return; // closed: nothing more reaches the client
                }
                if (sent == frame.Length) return;
                if (sent > 0) frame = frame[sent..];
            }
            if (_outgoing.Writer.TryWrite(frame)) _queued++;
        }
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
            var message = await ReadFrame(first, reading.Token);
            if (message is null) return;
            first = false;
            session.Tell(new FrameReceived(message));
        }
    }

    /// <summary>
    /// The next frame. Its first byte is awaited at once (one byte: a client that sends before it was answered
    /// holds nothing more here; the rest waits in the kernel until the node answered the last frame), so the
    /// read is already pending when the answer goes out.
    /// </summary>
    private async Task<LocalMessage?> ReadFrame(bool first, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (first) deadline.CancelAfter(_limits.IdleTimeout);
        try
        {
            var header = new byte[4];
            bool ended = await _stream.ReadAsync(header.AsMemory(0, 1), first ? deadline.Token : token) == 0;
            await _answered.WaitAsync(token);
            // A client that closed its side after its request still gets the answer: the end is seen only once
            // the node answered, as if the read had started then.
            if (ended) return null;
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
                lock (_writing) _queued--;
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
