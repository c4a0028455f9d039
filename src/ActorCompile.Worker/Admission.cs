using System.Net;

namespace ActorCompile.Worker;

/// <summary>Which coordinators a worker serves: those whose address lies in one of its allowed networks.</summary>
public static class Admission
{
    /// <summary>
    /// Whether a coordinator at <paramref name="host"/> may use this worker. A name is resolved and
    /// every address it resolves to must be allowed (a name must not be a way around the rule).
    /// </summary>
    public static bool Allows(string host, IReadOnlyList<IPNetwork> allowed, out string reason)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var ip)) addresses = new[] { ip };
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                reason = $"its host name {host} does not resolve ({e.Message})";
                return false;
            }
        }
        foreach (var a in addresses)
        {
            var address = a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
            if (!allowed.Any(n => n.Contains(address)))
            {
                reason = $"{address} is not in the allowed networks ({string.Join(", ", allowed)}); open them with --allow CIDR";
                return false;
            }
        }
        reason = "";
        return addresses.Length > 0;
    }
}
