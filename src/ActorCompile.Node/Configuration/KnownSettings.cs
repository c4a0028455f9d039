using Akka.Configuration;

namespace ActorCompile.Node.Configuration;

/// <summary>The settings a node knows are the shipped file's; any other actorcompile.* key is refused with the nearest known one.</summary>
public static class KnownSettings
{
    /// <summary>
    /// Every actorcompile.* key a file or flag sets must be one the shipped file defines: a misspelt key
    /// would otherwise be ignored without a word, and the node would run with the default.
    /// </summary>
    public static void Check(IReadOnlyList<(string Origin, Config Config)> layers)
    {
        var shipped = layers[^1].Config;
        foreach (var (origin, config) in layers.Take(layers.Count - 1))
        {
            if (!config.HasPath("actorcompile")) continue;
            foreach (var key in LeafPaths(config.GetValue("actorcompile"), "actorcompile"))
            {
                if (shipped.HasPath(key) || key.StartsWith("actorcompile.akka.", StringComparison.Ordinal)) continue;
                var near = LeafPaths(shipped.GetValue("actorcompile"), "actorcompile")
                    .OrderBy(k => Distance(k, key)).First();
                throw new ConfigurationException($"{origin}: {key} is not a setting; did you mean {near}? (every setting is in the shipped hocon/actorcompile.hocon)");
            }
        }

        static IEnumerable<string> LeafPaths(Akka.Configuration.Hocon.HoconValue value, string path)
        {
            if (!value.IsObject()) { yield return path; yield break; }
            foreach (var (name, child) in value.GetObject().Items)
                foreach (var leaf in LeafPaths(child, path + "." + name)) yield return leaf;
        }

        static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d[a.Length, b.Length];
        }
    }
}
