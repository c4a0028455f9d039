using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using ActorCompile.Toolchain.Processes;
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
/// A refused frame never reaches Akka, and is counted in <see cref="ConnectionRefusals"/> with the reason (status:
/// refusedConnections). A handshake that fails, or a frame that is not Akka's, closes the connection; a message in
/// another's name is dropped alone (an honest node that relays, such as a pub-sub mediator forwarding a peer's
/// publish with that peer as its sender, must not lose its connection for a message the peer forged). A node whose
/// connections leave from another address than the one it declares (--host on a machine with several addresses
/// and routes, a NAT) is refused the same way, as a worker's --allow would refuse it; and no peer may declare this
/// node's own address. Peers on one IP address are told apart by nothing here: on one machine, the cluster's key is
/// readable by the node's own user only.
/// </summary>
public sealed class BoundSenderHandle : AssociationHandle
{
    private readonly AssociationHandle _inner;
    private readonly ConnectionRefusals _refusals;
    private readonly ILoggingAdapter _log;
    private readonly Func<Address?> _self;
    private readonly IPAddress? _socket;
    /// <summary>Frames that may wait while a declared name resolves: an honest peer sends nothing after its handshake until it is answered.</summary>
    private const int MaximumWaiting = 16;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);
    private readonly object _gate = new();
    private Address? _peer;
    private IHandleEventListener? _upstream;
    private Queue<IHandleEvent>? _waiting; // frames that came while the declared name resolved
    private bool _closed;

    /// <param name="dialled">The address this node dialled (a connection it opened); null for a connection the peer opened.</param>
    /// <param name="self">This node's own address (asked when a handshake arrives; null until remoting has started).</param>
    public BoundSenderHandle(AssociationHandle inner, Address? dialled, ConnectionRefusals refusals, ILoggingAdapter log, Func<Address?> self)
        : base(inner.LocalAddress, inner.RemoteAddress)
    {
        _inner = inner;
        _refusals = refusals;
        _log = log;
        _self = self;
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
    public override void Disassociate()
    {
        lock (_gate) _waiting = null; // nothing queued goes up any more; a resolution under way finds the queue gone
        _inner.Disassociate();
    }
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
            if (_waiting is not null)
            {
                // An honest peer sends nothing but control frames before its handshake is answered (and the answer waits for the name).
                if (ev is InboundPayload early && AkkaFrames.Read(early.Payload.Span).Kind != FrameKind.Control)
                {
                    Refuse("sent a message before its handshake was answered");
                    return;
                }
                if (_waiting.Count >= MaximumWaiting && ev is not Disassociated) { Refuse($"sent more than {MaximumWaiting} frames before its handshake was answered"); return; }
                _waiting.Enqueue(ev);
                return;
            }
            if (ev is InboundPayload payload)
            {
                var (why, close) = Refusal(payload.Payload.Span);
                if (why is not null)
                {
                    if (close) Refuse(why);
                    else Drop(why);
                    return;
                }
            }
            if (_waiting is not null) { _waiting.Enqueue(ev); return; } // the handshake itself waits for its name
            _upstream!.Notify(ev);
        }
    }

    /// <summary>
    /// Why a frame may not reach Akka (null: it may), and whether that closes the connection (a handshake, a frame
    /// that is not Akka's) or drops the frame alone (a message in another's name). A handshake with a name starts
    /// its resolution; the caller queues the frame.
    /// </summary>
    private (string? Why, bool Close) Refusal(ReadOnlySpan<byte> bytes)
    {
        var frame = AkkaFrames.Read(bytes);
        switch (frame.Kind)
        {
            case FrameKind.Unreadable:
                return ("sent a frame that is not Akka's", true);
            case FrameKind.Control:
                return (null, false);
            case FrameKind.Associate:
                var declared = new Address(_inner.RemoteAddress.Protocol, frame.OriginSystem!, frame.OriginHost, frame.OriginPort);
                if (_peer is { } known)
                    return (Same(known, declared) ? null : $"answered as {Shown(declared)} on a connection to {Shown(known)}", true);
                // Host and port, whatever the system's name: a path naming them is this node to anyone who reads it as host:port.
                if (_self() is not { } own) return ("declared an address before this node knew its own", true);
                if (string.Equals(own.Host, declared.Host, StringComparison.Ordinal) && own.Port == declared.Port)
                    return ($"declared this node's own address {Shown(declared)}", true);
                if (_socket is null) return ($"its connection's address {Printable(_inner.RemoteAddress.Host ?? "")} is not an IP address", true);
                if (string.IsNullOrEmpty(frame.OriginHost)) return ("declared no host", true);
                if (AllowedNetworks.ParseHost(frame.OriginHost) is { } ip)
                {
                    if (!SameIp(ip, _socket)) return ($"declared {Shown(declared)} on a connection from {Plain(_socket)}", true);
                    _peer = declared;
                    return (null, false);
                }
                _waiting = new Queue<IHandleEvent>();
                _ = Resolve(declared);
                return (null, false);
            default:
                if (_peer is not { } peer) return ("sent a message before its handshake", true);
                if (frame.Sender is not { } path) return (null, false);
                ActorPath? sender;
                try
                {
                    if (!ActorPath.TryParse(path, out sender)) sender = null;
                }
                catch (FormatException)
                {
                    sender = null;
                }
                if (sender is null || !Same(peer, sender.Address))
                    return ($"sent a message as {Printable(path)}, not as {Shown(peer)} (dropped)", false);
                return (null, false);
        }
    }

    /// <summary>Resolves a declared name off the transport's thread, then lets the waiting frames through in order, or closes.</summary>
    private async Task Resolve(Address declared)
    {
        await Task.Yield(); // after the handshake that asked for it is queued (the caller holds the lock until then)
        string? why;
        try
        {
            using var timeout = new CancellationTokenSource(ResolveTimeout);
            var addresses = await Dns.GetHostAddressesAsync(declared.Host!, timeout.Token).ConfigureAwait(false);
            why = addresses.Any(a => SameIp(a, _socket!)) ? null
                : $"declared {Shown(declared)}, which does not resolve to {Plain(_socket!)}, the connection's address";
        }
        catch (Exception e) when (e is SocketException or ArgumentException or OperationCanceledException)
        {
            why = $"declared {Shown(declared)}, which does not resolve ({Printable(e.Message)})";
        }
        lock (_gate)
        {
            if (_closed || _waiting is not { } waiting) return; // refused or closed meanwhile
            if (why is not null) { Refuse(why); return; }
            _peer = declared;
            _waiting = null;
            // The handshake first, then what came after it, each checked now that the peer is known.
            _upstream!.Notify(waiting.Dequeue());
            while (waiting.Count > 0)
            {
                var ev = waiting.Dequeue();
                if (ev is InboundPayload payload && Refusal(payload.Payload.Span) is ({ } later, var close))
                {
                    if (!close) { Drop(later); continue; }
                    _waiting = waiting; // so that a Disassociated still queued goes up
                    Refuse(later);
                    return;
                }
                _upstream.Notify(ev);
            }
        }
    }

    private void Refuse(string why)
    {
        _closed = true;
        var waiting = _waiting;
        _waiting = null;
        _refusals.Record(Remote(), $"a member that {why}");
        _inner.Disassociate($"refused: a member that {why}", _log);
        if (waiting?.FirstOrDefault(e => e is Disassociated) is { } gone) _upstream!.Notify(gone);
    }

    private void Drop(string why) => _refusals.Record(Remote(), $"a member that {why}");

    private string Remote() => _socket is { } ip ? Plain(ip).ToString() : _inner.RemoteAddress.Host ?? "?";

    private static bool Same(Address a, Address b) =>
        string.Equals(a.Host, b.Host, StringComparison.Ordinal) && a.Port == b.Port && string.Equals(a.System, b.System, StringComparison.Ordinal);

    /// <summary>One address, however it came (an IPv4 address through an IPv6 socket; a link-local scope aside).</summary>
    private static bool SameIp(IPAddress a, IPAddress b) => Plain(a).GetAddressBytes().AsSpan().SequenceEqual(Plain(b).GetAddressBytes());

    private static string Shown(Address a) => Printable($"{a.System}@{a.Host}:{a.Port}");

    /// <summary>What a peer wrote, as it may appear in status and the log: printable, and short.</summary>
    private static string Printable(string text) => TerminalText.Printable(text.Length > 200 ? text[..200] : text);

    private static IPAddress Plain(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}
