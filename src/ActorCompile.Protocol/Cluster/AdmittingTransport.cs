using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// Akka.Remote transport adapter (akka.remote.adapters.admission, applied to dot-netty.tcp on every node).
/// On every connection, in both directions, the peer speaks only as itself (<see cref="BoundSenderHandle"/>).
/// On nodes with the worker role it also admits connections by the address of the socket, not by what a
/// peer declares: an inbound connection from outside actorcompile.worker.allow is closed before Akka reads a
/// message of it, and an outbound one to such an address is never opened. Both directions matter: Akka sends
/// to a peer over the connection that peer opened, and reads from the connections this node opens.
/// </summary>
public sealed class AdmissionTransportProvider : ITransportAdapterProvider
{
    public Transport Create(Transport wrappedTransport, ExtendedActorSystem system)
    {
        var config = system.Settings.Config;
        var worker = config.HasPath("akka.cluster.roles") && config.GetStringList("akka.cluster.roles").Contains("worker");
        return new AdmittingTransport(wrappedTransport, system, worker ? AllowedNetworks.FromConfig(config) : null, ConnectionRefusals.Get(system));
    }
}

/// <summary>
/// The transport behind <see cref="AdmissionTransportProvider"/>. It keeps the wrapped transport's scheme
/// (akka.tcp or akka.ssl.tcp), so addresses and seeds do not change when it is applied.
/// </summary>
public sealed class AdmittingTransport : Transport
{
    private readonly Transport _wrapped;
    /// <summary>The networks this node deals with (a worker's --allow); null: any (the sender binding still applies).</summary>
    private readonly AllowedNetworks? _allowed;
    private readonly ConnectionRefusals _refusals;
    private readonly ILoggingAdapter _log;

    public AdmittingTransport(Transport wrapped, ActorSystem system, AllowedNetworks? allowed, ConnectionRefusals refusals)
    {
        _wrapped = wrapped;
        _allowed = allowed;
        _refusals = refusals;
        _log = Logging.GetLogger(system, typeof(AdmittingTransport));
        System = system;
        Config = wrapped.Config;
    }

    public override string SchemeIdentifier
    {
        get => _wrapped.SchemeIdentifier;
        protected set { }
    }

    public override long MaximumPayloadBytes
    {
        get => _wrapped.MaximumPayloadBytes;
        protected set { }
    }

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var (address, wrappedListener) = await _wrapped.Listen().ConfigureAwait(false);
        var upstream = new TaskCompletionSource<IAssociationEventListener>(TaskCreationOptions.RunContinuationsAsynchronously);
        wrappedListener.TrySetResult(new Gate(this, upstream.Task));
        if (_allowed is not null) _log.Info("admitting connections from {0} only", _allowed);
        return (address, upstream);
    }

    public override bool IsResponsibleFor(Address remote) => _wrapped.IsResponsibleFor(remote);

    /// <summary>This node's own address, as its members name it.</summary>
    private Address? SelfAddress()
    {
        try
        {
            return ((ExtendedActorSystem)System).Provider.DefaultAddress;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException)
        {
            return null; // remoting has not finished starting: its address is not set yet
        }
    }

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var refusal = _allowed is null ? null : await OutboundRefusal(_allowed, remoteAddress.Host).ConfigureAwait(false);
        if (refusal is not null)
        {
            _refusals.Record(remoteAddress.Host ?? "?", refusal);
            throw new InvalidAssociationException($"refused to connect to {remoteAddress}: {refusal}", null!);
        }
        AssociationHandle handle;
        try
        {
            handle = await _wrapped.Associate(remoteAddress).ConfigureAwait(false);
        }
        catch (Exception)
        {
            FailedDials.Process.Record(remoteAddress, failed: true);
            throw;
        }
        FailedDials.Process.Record(remoteAddress, failed: false);
        return new BoundSenderHandle(handle, remoteAddress, _refusals, _log, SelfAddress);
    }

    public override Task<bool> Shutdown() => _wrapped.Shutdown();

    public override Task<bool> ManagementCommand(object message) => _wrapped.ManagementCommand(message);

    /// <summary>
    /// Why this node must not connect to a host, or null. A name must resolve only to allowed addresses
    /// (resolved here, on the transport's task, never on an actor's thread).
    /// </summary>
    private static async Task<string?> OutboundRefusal(AllowedNetworks allowed, string? host)
    {
        if (AllowedNetworks.ParseHost(host) is { } ip)
            return allowed.Contains(ip) ? null : NotAllowed(allowed, ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, "connect to");
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host ?? "").ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return $"its host name {host} does not resolve ({e.Message})";
        }
        if (addresses.Length == 0) return $"its host name {host} resolves to no address";
        var outside = addresses.FirstOrDefault(a => !allowed.Contains(a));
        return outside is null ? null : NotAllowed(allowed, outside, $"connect to {host} at");
    }

    private static string NotAllowed(AllowedNetworks allowed, IPAddress ip, string what) =>
        $"this worker does not {what} {ip}: not in its allowed networks ({allowed}); open them with --allow CIDR";

    /// <summary>Stands between the wrapped transport and Akka's protocol layer for inbound connections.</summary>
    private sealed class Gate(AdmittingTransport transport, Task<IAssociationEventListener> upstream) : IAssociationEventListener
    {
        public void Notify(IAssociationEvent ev)
        {
            if (ev is InboundAssociation inbound)
            {
                if (transport.InboundRefusal(inbound.Association, out var remote) is { } why)
                {
                    transport._refusals.Record(remote, why);
                    transport.CloseAtFirstMessage(inbound.Association, why);
                    return;
                }
                ev = new InboundAssociation(new BoundSenderHandle(inbound.Association, null, transport._refusals, transport._log, transport.SelfAddress));
            }
            if (upstream.IsCompletedSuccessfully) upstream.Result.Notify(ev);
            else upstream.ContinueWith(t => t.Result.Notify(ev), TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    /// <summary>How long a refused connection may stay open without sending anything (a TLS handshake takes milliseconds).</summary>
    private static readonly TimeSpan RefusedConnectionLife = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Closes a refused connection when its first message arrives, unread by Akka (or after
    /// <see cref="RefusedConnectionLife"/>). Not at once: the transport announces a connection before its TLS
    /// handshake is done, and a peer whose TLS handshake fails as a client stops its whole actor system
    /// (Akka.Remote 1.5.50 and later: CoordinatedShutdown, exit code 79). A member that a worker does not
    /// serve (its address is outside --allow) must be refused, not shut down: so the handshake completes,
    /// and the first message, which comes only after it, closes the connection like any refusal.
    /// </summary>
    private void CloseAtFirstMessage(AssociationHandle handle, string why)
    {
        var closed = 0;
        void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0) handle.Disassociate($"refused: {why}", _log);
        }
        handle.ReadHandlerSource.TrySetResult(new CloseOnEvent(Close));
        _ = Task.Delay(RefusedConnectionLife).ContinueWith(_ => Close(), TaskScheduler.Default);
    }

    private sealed class CloseOnEvent(Action close) : IHandleEventListener
    {
        public void Notify(IHandleEvent ev) => close();
    }

    /// <summary>
    /// Why an inbound connection is refused, or null; <paramref name="remote"/> is the connection's address
    /// as shown (an IPv4 address seen through an IPv6 socket as IPv4). It is the socket's, never a name.
    /// </summary>
    private string? InboundRefusal(AssociationHandle handle, out string remote)
    {
        var ip = AllowedNetworks.ParseHost(handle.RemoteAddress.Host);
        if (ip is null)
        {
            remote = handle.RemoteAddress.Host ?? "?";
            return $"its address {remote} is not an IP address";
        }
        var plain = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        remote = plain.ToString();
        return _allowed is null || _allowed.Contains(plain) ? null : $"{plain} is not in this worker's allowed networks ({_allowed}); open them with --allow CIDR";
    }
}
