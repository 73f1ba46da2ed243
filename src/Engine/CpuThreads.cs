using System.Globalization;

namespace WebUI.Engine;

/// <summary>
/// How many threads torch's ops use, chosen from the cores other processes leave free. With every core given to
/// torch, one busy core elsewhere (a browser, a build) makes each parallel op wait for a descheduled thread: decode
/// fell to 0.4x (135M) and 0.5x (stories260K) of its idle speed, where one thread keeps 0.7-0.9x. So before each
/// step a worker asks for the free cores, measured from /proc/stat less this process's own time, at most every
/// quarter second. Elsewhere than Linux it leaves torch's default.
/// </summary>
public static class CpuThreads
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly object sync = new();
    private static (long Busy, long Total, long Self, DateTime At)? last;
    private static int free = Environment.ProcessorCount;
    [ThreadStatic] private static int applied;

    /// <summary>Sets the calling worker's thread count (OpenMP's is per calling thread) to the cores free now, at most <paramref name="useful"/>.</summary>
    public static void Apply(int useful = int.MaxValue)
    {
        int threads = Math.Min(useful, FreeCores());
        if (threads == applied) return;
        TorchSharp.torch.set_num_threads(threads);
        applied = threads;
    }

    /// <summary>Cores not used by other processes over the last interval, at least 1.</summary>
    public static int FreeCores()
    {
        lock (sync)
        {
            var now = DateTime.UtcNow;
            if (last is { } previous && now - previous.At < Interval) return free;
            if (Sample() is not var (busy, total, self)) return free;
            if (last is { } before && total > before.Total)
            {
                double others = Math.Max(0, (busy - before.Busy) - (self - before.Self)) / (double)(total - before.Total); // share of all cores
                free = Math.Clamp((int)Math.Round(Environment.ProcessorCount * (1 - others)), 1, Environment.ProcessorCount);
            }
            last = (busy, total, self, now);
            return free;
        }
    }

    // Jiffies: all cores' busy and total time from /proc/stat, and this process's user + system time.
    private static (long Busy, long Total, long Self)? Sample()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            long idle = cpu[3] + cpu[4], total = cpu.Sum();
            // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long self = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (total - idle, total, self);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }
}
