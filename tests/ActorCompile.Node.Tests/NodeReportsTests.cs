using ActorCompile.Node.Status;
using ActorCompile.Protocol.Messages;
using Xunit;

namespace ActorCompile.Node.Tests;

public sealed class NodeReportsTests
{
    private static readonly HashSet<string> Members = new() { "127.0.0.1:7420", "127.0.0.1:7421" };

    private static NodeReport Report(string address, long sequence, long sent) =>
        new(address, new[] { "worker" }, sequence, sent, null, null, Array.Empty<JobReport>(), Array.Empty<RefusedConnection>());

    [Fact]
    public void Only_a_members_report_is_kept()
    {
        var reports = new NodeReports();
        Assert.True(reports.Offer(Report("127.0.0.1:7421", 1, 1000), Members.Contains));
        for (int i = 0; i < 100; i++)
            Assert.False(reports.Offer(Report($"10.0.0.{i}:7420", 1, 1000), Members.Contains));
        Assert.Equal(new[] { "127.0.0.1:7421" }, reports.All.Select(r => r.Address));
    }

    [Fact]
    public void An_older_report_does_not_replace_a_newer_one_and_a_restarted_node_is_taken_by_its_clock()
    {
        var reports = new NodeReports();
        reports.Offer(Report("127.0.0.1:7421", 5, 5000), Members.Contains);
        Assert.False(reports.Offer(Report("127.0.0.1:7421", 4, 4000), Members.Contains));
        Assert.Equal(5, reports.All.Single().Sequence);
        Assert.True(reports.Offer(Report("127.0.0.1:7421", 6, 6000), Members.Contains));
        // Started again: its sequence begins anew, its clock goes on.
        Assert.True(reports.Offer(Report("127.0.0.1:7421", 1, 7000), Members.Contains));
        Assert.Equal(1, reports.All.Single().Sequence);
    }

    [Fact]
    public void A_removed_members_report_goes_and_the_own_report_is_always_kept()
    {
        var reports = new NodeReports();
        reports.Offer(Report("127.0.0.1:7421", 1, 1000), Members.Contains);
        reports.Own(Report("127.0.0.1:7999", 1, 1000));
        reports.Remove("127.0.0.1:7421");
        Assert.Equal(new[] { "127.0.0.1:7999" }, reports.All.Select(r => r.Address));
    }
}
