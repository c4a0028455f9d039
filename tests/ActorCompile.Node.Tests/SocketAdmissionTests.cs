using ActorCompile.Node.Hosting;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// Who may hold how much of the local socket (<see cref="SocketAdmission"/>) and the per-user budget of bytes that
/// unfinished frames hold (<see cref="ByteBudget"/>), on their own: the integration tests reach them only through a
/// node (TrustTests' client cap, LocalUserTests' row 12), where an order of grants cannot be seen.
/// </summary>
public sealed class SocketAdmissionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static SocketLimits Limits(int clients, int perUser, long budget = 1000) =>
        new(clients, perUser, LargestFrameBytes: 1000, SmallFrameBytes: 100, BufferPerUserBytes: budget, IdleTimeout: TimeSpan.FromMinutes(1));

    [Fact]
    public void Clients_are_capped_in_all_and_per_user_and_a_client_that_leaves_frees_its_place()
    {
        var admission = new SocketAdmission(Limits(clients: 3, perUser: 2));
        var a1 = admission.TryAdmit(1000, out var refusal);
        Assert.NotNull(a1);
        Assert.Null(refusal);
        var a2 = admission.TryAdmit(1000, out _);
        Assert.NotNull(a2);
        Assert.Same(a1, a2); // one user, one record: its connections share its budget

        // The user's third connection is refused, and says which setting it met; another user still gets a place.
        Assert.Null(admission.TryAdmit(1000, out refusal));
        Assert.Contains("socket-clients-per-user", refusal);
        var b = admission.TryAdmit(2000, out _);
        Assert.NotNull(b);

        // Every place is taken: anyone is refused, with the total's setting named.
        Assert.Null(admission.TryAdmit(3000, out refusal));
        Assert.Contains("at most 3 clients at once (actorcompile.socket-clients)", refusal);
        Assert.Equal(3, admission.Clients);

        admission.Leave(b!);
        Assert.Equal(2, admission.Clients);
        Assert.NotNull(admission.TryAdmit(3000, out _));
        admission.Leave(a1!);
        Assert.NotNull(admission.TryAdmit(1000, out _)); // the user's own place is back too
    }

    [Fact]
    public async Task A_user_whose_last_connection_left_is_forgotten_and_comes_back_with_a_whole_budget()
    {
        var admission = new SocketAdmission(Limits(clients: 4, perUser: 4, budget: 100));
        var user = admission.TryAdmit(1000, out _)!;
        var other = admission.TryAdmit(1000, out _)!;
        // While one connection stays, the user keeps its record and the bytes its frames hold.
        var held = await user.Budget.ReserveAsync(60, CancellationToken.None);
        admission.Leave(other);
        Assert.Same(user, admission.TryAdmit(1000, out _));
        Assert.Equal(60, user.Budget.Used);
        admission.Leave(user);
        // As the socket server does: a connection's reservation is given back before the connection leaves.
        held.Dispose();
        admission.Leave(user);
        var again = admission.TryAdmit(1000, out _)!;
        Assert.NotSame(user, again);
        Assert.Equal(0, again.Budget.Used);
    }

    [Fact]
    public async Task Reservations_are_granted_first_come_first_served_and_a_small_one_waits_behind_a_large_one()
    {
        var budget = new ByteBudget(100);
        var first = await budget.ReserveAsync(90, CancellationToken.None);
        var large = budget.ReserveAsync(50, CancellationToken.None).AsTask();
        var small = budget.ReserveAsync(5, CancellationToken.None).AsTask();
        // 5 bytes would fit beside the 90, but they came after the 50: nobody overtakes a waiting frame.
        Assert.False(large.IsCompleted);
        Assert.False(small.IsCompleted);
        Assert.Equal(90, budget.Used);

        first.Dispose();
        var l = await large.WaitAsync(Bound);
        var s = await small.WaitAsync(Bound);
        Assert.Equal(55, budget.Used);
        l.Dispose();
        l.Dispose(); // given back once, however often disposed
        s.Dispose();
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_withdrawn_reservation_lets_the_ones_behind_it_that_fit_go_at_once()
    {
        var budget = new ByteBudget(100);
        var first = await budget.ReserveAsync(90, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var large = budget.ReserveAsync(50, cancel.Token).AsTask();
        var small = budget.ReserveAsync(5, CancellationToken.None).AsTask();
        Assert.False(small.IsCompleted);

        // The large frame's deadline passed: its place in the line goes, and the small one fits now. It must
        // not wait for the 90 bytes to be given back (a frame that may itself take until its own deadline).
        cancel.Cancel();
        Assert.Equal(95, budget.Used); // granted within the withdrawal itself
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => large.WaitAsync(Bound));
        var s = await small.WaitAsync(Bound);
        Assert.Equal(95, budget.Used);
        s.Dispose();
        first.Dispose();
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_reservation_larger_than_the_whole_budget_is_refused_instead_of_waiting_forever()
    {
        var budget = new ByteBudget(100);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await budget.ReserveAsync(101, CancellationToken.None));
        Assert.Equal(0, budget.Used);
        (await budget.ReserveAsync(100, CancellationToken.None)).Dispose();
    }
}
