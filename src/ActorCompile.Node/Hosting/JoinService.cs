using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ActorCompile.Node.Configuration;
using ActorCompile.Setup.Joining;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// The join service of a node that holds the cluster's join key: a machine with a valid join token gets
/// the cluster certificate (PKCS#12 and password) over TLS on the join port. The joiner authenticates
/// this node by the certificate pin in its token; this node checks the token's MAC with the join key and
/// its expiry, so no token is ever stored. Every connection is bounded (a few at once, a deadline for
/// the whole exchange, a size for every field), so garbage or slow clients neither stop nor grow the node.
/// </summary>
public sealed class JoinService(NodeConfiguration configuration, ClusterTls.RefusedConnections refusals, ILogger<JoinService> log) : IHostedService
{
    /// <summary>Connections served at once; more are closed at once (a join takes one short exchange).</summary>
    public const int MaxConnections = 8;

    /// <summary>The whole exchange (TLS handshake, request, answer) must fit in this time.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _places = new(MaxConnections, MaxConnections);
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private X509Certificate2? _certificate;
    private byte[] _pin = Array.Empty<byte>();
    private byte[] _joinKey = Array.Empty<byte>();
    private byte[] _pkcs12 = Array.Empty<byte>();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.TlsJoinPort == 0)
        {
            if (configuration.TlsEnabled && configuration.TlsJoinKeyFile.Length > 0)
                log.LogInformation("no join service: the cluster port is picked at random (port 0), so no token could name the join port; set actorcompile.tls.join-port");
            return;
        }
        _joinKey = ClusterFiles.ReadJoinKey(configuration.TlsJoinKeyFile)!;
        _certificate = ClusterTls.LoadCertificate(configuration);
        _pin = ClusterCertificate.Pin(_certificate);
        _pkcs12 = await File.ReadAllBytesAsync(configuration.TlsCertificate, cancellationToken);
        if (_pkcs12.Length > JoinExchange.MaxPkcs12Bytes)
            throw new ConfigurationException($"{configuration.TlsCertificate} is larger than {JoinExchange.MaxPkcs12Bytes} bytes: too large to hand to joining machines");
        var address = await BindAddress(configuration.Host, cancellationToken);
        var listener = new TcpListener(address, configuration.TlsJoinPort);
        try
        {
            listener.Start(MaxConnections);
        }
        catch (SocketException e)
        {
            throw new ConfigurationException($"cannot listen on the join port {address}:{configuration.TlsJoinPort} ({e.Message}); set actorcompile.tls.join-port to a free port");
        }
        _listener = listener;
        _acceptLoop = AcceptLoop(listener);
        log.LogInformation("join service on {Address}:{Port} (certificate pin {Pin})", address, configuration.TlsJoinPort, ClusterCertificate.PinText(_pin)[..16]);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listener?.Stop();
        if (_acceptLoop is not null) await _acceptLoop.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        _certificate?.Dispose();
    }

    private static async Task<IPAddress> BindAddress(string host, CancellationToken cancel)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return ip;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        var addresses = await Dns.GetHostAddressesAsync(host, cancel);
        return addresses.FirstOrDefault() ?? throw new ConfigurationException($"cannot resolve actorcompile.host = {host} for the join service");
    }

    private async Task AcceptLoop(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                log.LogWarning("join service: accept failed: {Message}", e.Message);
                continue;
            }
            if (!_places.Wait(0))
            {
                log.LogWarning("join service: refused a connection from {Remote}: already {Max} at once", client.Client.RemoteEndPoint, MaxConnections);
                refusals.Record(client.Client.RemoteEndPoint?.ToString() ?? "?", $"join service: already {MaxConnections} connections at once");
                client.Dispose();
                continue;
            }
            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(Deadline);
        try
        {
            using (client)
            await using (var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false))
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = false,
                }, deadline.Token);
                var request = await JoinExchange.ReadRequestAsync(tls, deadline.Token);
                var answer = Judge(request.Token);
                await JoinExchange.WriteAnswerAsync(tls, answer, deadline.Token);
                if (answer is CertificateGranted) log.LogInformation("join service: handed the cluster certificate to {Remote}", remote);
                else
                {
                    log.LogWarning("join service: refused {Remote}: {Answer}", remote, answer);
                    refusals.Record(remote, answer switch
                    {
                        TokenExpired e => $"join service: a token that expired {e.Expired:u}",
                        TokenRefused r => $"join service: token refused: {r.Reason}",
                        _ => $"join service: {answer.GetType().Name}",
                    });
                }
            }
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            log.LogWarning("join service: closed {Remote}: no complete exchange within {Seconds} s", remote, Deadline.TotalSeconds);
            refusals.Record(remote, $"join service: no complete exchange within {Deadline.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is JoinProtocolException or IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            log.LogWarning("join service: refused {Remote}: {Message}", remote, e.Message);
            refusals.Record(remote, $"join service: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            // The node is stopping (the only other cancellation, the deadline, is the clause above): the client is closed below.
        }
        finally
        {
            _places.Release();
        }
    }

    /// <summary>The answer to a token: MAC first, so that only genuine tokens are told about their expiry.</summary>
    private JoinAnswer Judge(string text)
    {
        if (JoinToken.Parse(text, out var problem) is not { } token) return new TokenRefused(problem!);
        if (!token.IsSignedWith(_joinKey)) return new TokenRefused("it was not made with this cluster's join key (a token from another cluster, or a new key since)");
        if (!token.CertificatePin.AsSpan().SequenceEqual(_pin)) return new TokenRefused("it was made for another certificate (the cluster certificate was replaced since)");
        if (token.HasExpired(DateTimeOffset.UtcNow)) return new TokenExpired(token.Expires);
        return new CertificateGranted(_pkcs12, configuration.TlsPassword);
    }
}
