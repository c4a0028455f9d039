using System.Text;

namespace ActorCompile.Node.Configuration;

/// <summary>A mistake in the command line or the configuration, with what to do about it.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>The command line of actorcompile-node, as parsed by <see cref="NodeCommandLine"/>.</summary>
public sealed class NodeOptions
{
    public List<string> ConfigFiles { get; } = new();
    public List<string> Roles { get; } = new();
    public string? Host { get; init; }
    public int? Port { get; init; }
    public List<string> Seeds { get; } = new();
    public string? Socket { get; init; }
    public int? Slots { get; init; }
    public int? LocalSlots { get; init; }
    public List<string> Toolchains { get; } = new();
    public List<string> Allow { get; } = new();
    public bool Insecure { get; init; }

    /// <summary>The flags as a HOCON layer over the configuration files.</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        if (Roles.Count > 0) sb.AppendLine($"actorcompile.roles = [{string.Join(", ", Roles.Select(Quote))}]");
        if (Host is not null) sb.AppendLine($"actorcompile.host = {Quote(Host)}");
        if (Port is not null) sb.AppendLine($"actorcompile.port = {Port}");
        if (Seeds.Count > 0) sb.AppendLine($"actorcompile.seeds = [{string.Join(", ", Seeds.Select(Quote))}]");
        if (Socket is not null) sb.AppendLine($"actorcompile.socket = {Quote(Socket)}");
        if (Slots is not null) sb.AppendLine($"actorcompile.worker.slots = {Slots}");
        if (LocalSlots is not null) sb.AppendLine($"actorcompile.coordinator.local-slots = {LocalSlots}");
        if (Toolchains.Count > 0) sb.AppendLine($"actorcompile.worker.toolchains = [{string.Join(", ", Toolchains.Select(Quote))}]");
        if (Allow.Count > 0) sb.AppendLine($"actorcompile.worker.allow = [{string.Join(", ", Allow.Select(Quote))}]");
        if (Insecure) sb.AppendLine("actorcompile.insecure = on");
        return sb.ToString();
    }

    public static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
