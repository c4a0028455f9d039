using System.Globalization;

namespace ActorCompile.Toolchain.Jobs;

/// <summary>Sizes for people: 812 B, 3.4 KiB, 12.0 MiB, 1.5 GiB (in the reasons the coordinator and the node give for a local compile, and in logs).</summary>
public static class Sizes
{
    public static string Format(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
