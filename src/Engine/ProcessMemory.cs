namespace WebUI.Engine;

/// <summary>Peak resident set size from /proc (Linux), resettable so each benchmark reports its own peak.</summary>
public static class ProcessMemory
{
    public static void ResetPeak()
    {
        GC.Collect();
        ReturnFreedMemory(); // the peak from here on is what is live now, not what glibc kept from before
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Hands freed heap pages back to the OS. Training allocates many mid-sized tensors per step, which glibc keeps
    /// (fragmented) after they are freed; without this the resident size creeps up by hundreds of MB per step.
    /// </summary>
    public static void ReturnFreedMemory()
    {
        if (OperatingSystem.IsLinux()) malloc_trim(0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    public static double PeakRssMegabytes() => Status("VmHWM:");

    public static double CurrentRssMegabytes() => Status("VmRSS:");

    private static double Status(string key)
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key)) : null;
        return line is null ? Environment.WorkingSet / 1048576.0 : long.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
    }
}
