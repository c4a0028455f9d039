using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// One cluster connection whose peer speaks only as itself. Akka takes a message's sender from the message (a
/// path the peer writes), never from the connection, so a member with the cluster's key could name another
/// member, or this node itself, as the sender of a result it stores or a drop it asks for, and that member
/// would answer for it. Here every frame is read before Akka reads it (<see cref="AkkaFrames"/>):
/// <list type="bullet">
/// <item>the handshake's declared address must be the connection's: on a connection the peer opened, an IP
/// address must be the socket's own and a name must resolve to it (while it resolves, later frames wait, in
/// order); on one this node opened, it must be the address this node dialled;</item>
/// <item>every message's sender, when it names one, must be an actor of that address (what Akka would
/// resolve it to, read with Akka's own parser): not this node, not a path without an address, not another
/// member;</item>
/// <item>a frame that is not what Akka writes is refused whole.</item>
/// </list>
/// A refused frame never reaches Akka; the connection is closed and counted in <see cref="ConnectionRefusals"/>
/// with the reason (status: refusedConnections). A node whose connections leave from another address than the
/// one it declares (--host on a machine with several addresses and routes) is refused the same way, as a
/// worker's --allow would refuse it.
/// </summary>
public sealed class BoundSenderHandle : AssociationHandle
{
    private readonly AssociationHandle _inner;
    private readonly ConnectionRefusals _refusals;
    private readonly ILoggingAdapter _log;
    private readonly IPAddress? _socket;
    private readonly object _gate = new();
    private Address? _peer;
    private IHandleEventListener? _upstream;
    private Queue<IHandleEvent>? _waiting; // frames that came while the declared name resolved
    private bool _closed;

    /// <param name="dialled">The address this node dialled (a connection it opened); null for a connection the peer opened.</param>
    public BoundSenderHandle(AssociationHandle inner, Address? dialled, ConnectionRefusals refusals, ILoggingAdapter log)
        : base(inner.LocalAddress, inner.RemoteAddress)
    {
        _inner = inner;
        _refusals = refusals;
        _log = log;
        _peer = dialled;
        _socket = dialled is null ? AllowedNetworks.ParseHost(inner.RemoteAddress.Host) : null;
        ReadHandlerSource = new TaskCompletionSource<IHandleEventListener>(TaskCreationOptions.RunContinuationsAsynchronously);
        ReadHandlerSource.Task.ContinueWith(t =>
        {
            _upstream = t.Result;
            _inner.ReadHandlerSource.TrySetResult(new Listener(this));
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override bool Write(ByteString payload) => _inner.Write(payload);

    // Akka's Disassociate(reason, log) logs the reason and then calls this one: the wrapped connection closes without saying it again.
    [Obsolete("Use the method that states reasons to make sure disassociation reasons are logged.")]
#pragma warning disable CS0618
    public override void Disassociate() => _inner.Disassociate();
#pragma warning restore CS0618

    private sealed class Listener(BoundSenderHandle handle) : IHandleEventListener
    {
        public void Notify(IHandleEvent ev) => handle.Arrived(ev);
    }

    private void Arrived(IHandleEvent ev)
    {
        lock (_gate)
        {
            // Once refused, only the news that the connection is gone still goes up (Akka's side of it must end too).
            if (_closed) { if (ev is Disassociated) _upstream!.Notify(ev); return; }
            if (_waiting is not null) { _waiting.Enqueue(ev); return; }
            if (ev is InboundPayload payload && Refusal(payload.Payload.Span) is { } why)
            {
                Refuse(why);
                return;
            }
            if (_waiting is not null) { _waiting.Enqueue(ev); return; } // the handshake itself waits for its name
            _upstream!.Notify(ev);
        }
    }

    /// <summary>Why a frame may not reach Akka, or null. A handshake with a name starts its resolution and queues the frame.</summary>
    private string? Refusal(ReadOnlySpan<byte> bytes)
    {
        var frame = AkkaFrames.Read(bytes);
        switch (frame.Kind)
        {
            case FrameKind.Unreadable:
                return "sent a frame that is not Akka's";
            case FrameKind.Control:
                return null;
            case FrameKind.Associate:
                var declared = new Address(_inner.RemoteAddress.Protocol, frame.OriginSystem!, frame.OriginHost, frame.OriginPort);
                if (_peer is { } known)
                    return Same(known, declared) ? null : $"answered as {Shown(declared)} on a connection to {Shown(known)}";
                if (_socket is null) return $"its connection's address {_inner.RemoteAddress.Host} is not an IP address";
                if (AllowedNetworks.ParseHost(frame.OriginHost) is { } ip)
                {
                    if (!Plain(ip).Equals(Plain(_socket))) return $"declared {Shown(declared)} on a connection from {Plain(_socket)}";
                    _peer = declared;
                    return null;
                }
                _waiting = new Queue<IHandleEvent>();
                _ = Resolve(declared);
                return null;
            default:
                if (_peer is not { } peer) return "sent a message before its handshake";
                if (frame.Sender is not { } path) return null;
                if (!ActorPath.TryParse(path, out var sender) || !Same(peer, sender.Address))
                    return $"sent a message as {path}, not as {Shown(peer)}";
                return null;
        }
    }

    /// <summary>Resolves a declared name off the transport's thread, then lets the waiting frames through in order, or closes.</summary>
    private async Task Resolve(Address declared)
    {
        await Task.Yield(); // after the handshake that asked for it is queued (the caller holds the lock until then)
        string? why;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(declared.Host!).ConfigureAwait(false);
            why = addresses.Any(a => Plain(a).Equals(Plain(_socket!))) ? null
                : $"declared {Shown(declared)}, which does not resolve to {Plain(_socket!)}, the connection's address";
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            why = $"declared {Shown(declared)}, which does not resolve ({e.Message})";
        }
        lock (_gate)
        {
            if (_closed) return;
            var waiting = _waiting!;
            if (why is not null) { Refuse(why); return; }
            _peer = declared;
            _waiting = null;
            // The handshake first, then what came after it, each checked now that the peer is known.
            var handshake = waiting.Dequeue();
            _upstream!.Notify(handshake);
            while (waiting.Count > 0)
            {
                var ev = waiting.Dequeue();
                if (ev is InboundPayload payload && Refusal(payload.Payload.Span) is { } later) { Refuse(later); return; }
                _upstream.Notify(ev);
            }
        }
    }

    private void Refuse(string why)
    {
        _closed = true;
        var waiting = _waiting;
        _waiting = null;
        _refusals.Record(_socket is { } ip ? Plain(ip).ToString() : _inner.RemoteAddress.Host ?? "?", $"a member that {why}");
        _inner.Disassociate($"refused: a member that {why}", _log);
        if (waiting?.FirstOrDefault(e => e is Disassociated) is { } gone) _upstream!.Notify(gone);
    }

    private static bool Same(Address a, Address b) =>
        string.Equals(a.Host, b.Host, StringComparison.Ordinal) && a.Port == b.Port && string.Equals(a.System, b.System, StringComparison.Ordinal);

    private static string Shown(Address a) => $"{a.System}@{a.Host}:{a.Port}";

    private static IPAddress Plain(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}
