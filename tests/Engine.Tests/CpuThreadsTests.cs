using System.Diagnostics;

namespace WebUI.Engine.Tests;

/// <summary>Torch's thread count follows the cores other processes leave free.</summary>
public sealed class CpuThreadsTests
{
    [Fact]
    public async Task A_busy_process_beside_the_engine_takes_a_thread_away()
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2) return; // /proc and a core to spare
        using var worker = new TorchWorker("threads-test");
        using var busy = Process.Start("sh", ["-c", "while :; do :; done"]);
        try
        {
            await Task.Delay(300);
            CpuThreads.FreeCores(); // the interval starts with the busy process running
            await Task.Delay(600);
            var (free, threads) = await worker.Run(() => { CpuThreads.Apply(); return (CpuThreads.FreeCores(), TorchSharp.torch.get_num_threads()); });

            Assert.InRange(free, 1, Environment.ProcessorCount - 1);
            Assert.Equal(free, threads);
            Assert.Equal(1, await worker.Run(() => { CpuThreads.Apply(useful: 1); return TorchSharp.torch.get_num_threads(); }));
        }
        finally
        {
            busy.Kill();
            busy.WaitForExit();
        }
    }
}
