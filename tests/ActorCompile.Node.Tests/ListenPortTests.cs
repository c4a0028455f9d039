using System.Net;
using System.Net.Sockets;
using ActorCompile.Node.Hosting;
using Xunit;

namespace ActorCompile.Node.Tests;

public class ListenPortTests
{
    private static Socket Listen(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }

    [Fact]
    public async Task A_taken_port_is_named_at_once_without_patience()
    {
        using var holder = Listen(out var port);
        var taken = await ListenPort.FreeWithin("127.0.0.1", port, TimeSpan.Zero, () => false);
        Assert.Equal($"another program already listens on 127.0.0.1:{port} (is another actorcompile-node running with the same --port?)", taken);
    }

    /// <summary>
    /// A node started again in place waits for its port: the first look finds it taken (it runs before the wait
    /// returns its task), and the wait ends with the port free once its holder let go.
    /// </summary>
    [Fact]
    public async Task A_node_that_waits_for_its_port_takes_it_once_its_holder_lets_go()
    {
        var holder = Listen(out var port);
        var waiting = ListenPort.FreeWithin("127.0.0.1", port, TimeSpan.FromMinutes(2), () => false);
        Assert.False(waiting.IsCompleted);
        holder.Dispose();
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_stop_ends_the_wait_with_the_port_still_taken()
    {
        using var holder = Listen(out var port);
        bool stop = false;
        var waiting = ListenPort.FreeWithin("127.0.0.1", port, TimeSpan.FromMinutes(2), () => stop);
        stop = true;
        Assert.NotNull(await waiting.WaitAsync(TimeSpan.FromMinutes(1)));
    }
}
