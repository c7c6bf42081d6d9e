namespace OdooAspire.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes: the test's alternative to sleeping.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what, TimeSpan? interval = null)
    {
        var until = DateTime.UtcNow + deadline;
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex)
            {
                lastError = ex;
            }

            if (DateTime.UtcNow >= until)
            {
                throw new TimeoutException($"{what}: not within {deadline.TotalSeconds:0.#} s{(lastError is null ? "" : $" (last error: {lastError.Message})")}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
