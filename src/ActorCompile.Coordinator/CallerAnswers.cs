using System.Security.Cryptography;
using System.Text;

namespace ActorCompile.Coordinator;

/// <summary>
/// What wrappers told the coordinator about their compilers (a toolchain's identity, its default header
/// directories), kept apart by the user the wrapper runs as: the node cannot check these answers, so
/// one user's answers never decide another user's compile. Each user keeps at most
/// <paramref name="perUser"/> answers (the oldest go first; a forgotten one is only asked again), and
/// keys are kept as their SHA-256, so no answer costs more than its value.
/// </summary>
public sealed class CallerAnswers<T>(int perUser) where T : class
{
    private readonly Dictionary<(uint Uid, string Key), T> _answers = new();
    private readonly Dictionary<uint, Queue<string>> _order = new();

    public T? Get(uint uid, string key) => _answers.GetValueOrDefault((uid, Digest(key)));

    public void Set(uint uid, string key, T answer)
    {
        var digest = Digest(key);
        if (_answers.TryAdd((uid, digest), answer))
        {
            if (!_order.TryGetValue(uid, out var order)) _order[uid] = order = new Queue<string>();
            order.Enqueue(digest);
            if (order.Count > perUser) _answers.Remove((uid, order.Dequeue()));
        }
        else _answers[(uid, digest)] = answer;
    }

    public int Count => _answers.Count;

    private static string Digest(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
