using System.Net;
using System.Net.Sockets;

namespace ActorCompile.Node.Hosting;

/// <summary>
/// Whether another program already listens on the cluster port this node is told to take. Akka binds its port with
/// .NET's ReuseAddress, which on Linux sets SO_REUSEPORT as well: a second node of the same user started on a port
/// the first listens on bound it without an error, and the kernel then shared the connections between the two
/// (seen: two test clusters each taking half of the other's handshakes). Tried before Akka binds, with SO_REUSEADDR
/// alone, so that a connection of an earlier run still in TIME_WAIT (a restart in place) does not count, a listener does.
/// </summary>
public static class ListenPort
{
    private const int SolSocket = 1, SoReuseAddr = 2;

    /// <summary>Why the port cannot be taken, or null (also for port 0 and a host that does not resolve: Akka says so then).</summary>
    public static string? TakenBy(string host, int port)
    {
        if (port == 0) return null;
        IPAddress? address;
        if (!IPAddress.TryParse(host, out address))
        {
            try
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault();
            }
            catch (SocketException)
            {
                return null;
            }
            if (address is null) return null;
        }
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return $"another program already listens on {host}:{port} (is another actorcompile-node running with the same --port?)";
        }
    }

    /// <summary>
    /// Why the port is still taken after waiting up to <paramref name="patience"/> for its holder to let go
    /// (looked at once a second), or null once it is free. <paramref name="stopped"/> ends the wait early.
    /// </summary>
    public static async Task<string?> FreeWithin(string host, int port, TimeSpan patience, Func<bool> stopped)
    {
        // A stopwatch, not the wall clock: a clock set at boot (no RTC on a Raspberry Pi, then NTP) must not stretch or cut the wait.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var taken = TakenBy(host, port);
            if (taken is null || waited.Elapsed >= patience || stopped()) return taken;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
