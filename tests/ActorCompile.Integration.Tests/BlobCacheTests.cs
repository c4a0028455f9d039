using ActorCompile.Tests;
using Xunit;
using static ActorCompile.Integration.Tests.Builds;

namespace ActorCompile.Integration.Tests;

/// <summary>The worker's blob cache at a size far below what one build reads.</summary>
public sealed class BlobCacheTests
{
    private const long CacheBytes = 32 << 10;

    /// <summary>The distinct files (sources, project and system headers) the sample project's compiles read, by gcc -M.</summary>
    private static long BytesRead(string project)
    {
        var sources = Directory.GetFiles(Path.Combine(project, "src"), "*.c", SearchOption.AllDirectories);
        var r = Run.Program("gcc", new[] { "-std=c11", "-Iinclude", "-M" }.Concat(sources.Select(s => Path.GetRelativePath(project, s))).ToArray(), project);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout.Replace("\\\n", " ").Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries)
            .Where(t => !t.EndsWith(':'))
            .Select(t => Path.GetFullPath(t, project))
            .Distinct()
            .Sum(f => new FileInfo(f).Length);
    }

    /// <summary>
    /// The bytes the worker's blob cache holds now. The worker evicts while this counts: a file listed and then
    /// removed before its length is read is no longer in the cache and counts nothing (seen once in a full run).
    /// </summary>
    private static long CachedBytes(string blobs) =>
        Directory.Exists(blobs) ? Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Sum(LengthIfPresent) : 0;

    private static long LengthIfPresent(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task A_cache_smaller_than_a_build_evicts_and_fetches_again_and_the_objects_stay_identical()
    {
        using var dir = new TempDirectory("ac-blobs");
        var project = CopySample(dir);
        var expected = ReferenceBuild(project);
        // The build reads many times what the cache may keep, so that the second build cannot find
        // everything it needs in the cache: the worker must have evicted contents and fetched them again.
        var read = BytesRead(project);
        Assert.True(read > 8 * CacheBytes, $"the sample project reads only {read} bytes");

        var work = dir.Combine("worker-work");
        var config = dir.Write("tiny-cache.hocon", $"actorcompile.worker.blob-cache-size = {CacheBytes}\nactorcompile.worker.work-directory = \"{work}\"\n");
        using var cluster = new TestCluster(1, coordinatorArgs: new[] { "--config", NoHelpConfig(dir) }, workerArgs: new[] { "--toolchain", "gcc", "--config", config }, prefix: "ac-blobs-cluster");
        await cluster.WaitForWorkers();
        var blobs = Path.Combine(work, "blobs");

        for (int build = 1; build <= 2; build++)
        {
            var (exit, stderr) = Finish(StartMake(project, cluster.Coordinator.Socket, "gcc", "objects", 4, StrictAndVerbose));
            Assert.True(exit == 0, stderr);
            var where = Wrapper.WhereCompiled(stderr);
            Assert.Equal(Sources(project), where.Count);
            Assert.All(where, w => Assert.Equal(cluster.Worker(0).Address, w.Value));
            AssertSameObjects(expected, Objects(Path.Combine(project, "build")));
            // Once no job holds a content, the cache is back within its size.
            await Eventually.True(() => CachedBytes(blobs) <= CacheBytes, TimeSpan.FromSeconds(30),
                $"the worker's blob cache within {CacheBytes} bytes after build {build} (it holds {CachedBytes(blobs)})");
            Assert.True(CachedBytes(blobs) > 0, "the worker kept no content at all");
            Run.Program("make", new[] { "clean" }, project);
        }
    }
}
