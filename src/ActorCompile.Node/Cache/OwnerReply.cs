using Akka.Actor;

namespace ActorCompile.Node.Cache;

/// <summary>
/// An ask that also says who answered. Akka's Ask gives the answer alone; a cache owner's answer is only as good
/// as the owner, so the reply's sender (bound to its connection by the transport) is kept with it. A temporary
/// actor of the provider's, as Ask's own: no actor, no extra message.
/// </summary>
internal sealed class OwnerReply : MinimalActorRef
{
    private readonly TaskCompletionSource<(object, IActorRef)> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<object, IActorRef, bool> _accept;

    private OwnerReply(IActorRefProvider provider, ActorPath path, Func<object, IActorRef, bool> accept)
    {
        Provider = provider;
        Path = path;
        _accept = accept;
    }

    public override ActorPath Path { get; }
    public override IActorRefProvider Provider { get; }

    /// <summary>A reply that fails <see cref="_accept"/> is ignored, not taken: it must not pre-empt the answer asked for.</summary>
    protected override void TellInternal(object message, IActorRef sender)
    {
        if (_accept(message, sender)) _reply.TrySetResult((message, sender));
    }

    /// <summary>The first answer to <paramref name="message"/> that <paramref name="accept"/> takes, and its sender; (null, null) when none came within <paramref name="timeout"/>.</summary>
    public static async Task<(object? Answer, IActorRef? From)> AskAsync(IActorRefProvider provider, ICanTell to, object message, TimeSpan timeout, Func<object, IActorRef, bool> accept)
    {
        // A name no one can guess (Akka's own temporary names count up): only the one asked knows where to answer.
        var path = provider.TempContainer.Path / $"owner-{Guid.NewGuid():N}";
        var temporary = new OwnerReply(provider, path, accept);
        provider.RegisterTempActor(temporary, path);
        try
        {
            to.Tell(message, temporary);
            var (answer, from) = await temporary._reply.Task.WaitAsync(timeout).ConfigureAwait(false);
            return (answer, from);
        }
        catch (TimeoutException)
        {
            return (null, null);
        }
        finally
        {
            provider.UnregisterTempActor(path);
        }
    }
}
