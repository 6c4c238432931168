// Keeps a running verification's page current: polls the job's progress, updates the bar and
// its text, tells screen readers every 10%, and reloads the page for the result when the job
// ends. Without scripts the page's "Check progress" button does the same by hand.
const root = document.querySelector("[data-verify-progress]")

if (root) {
  const bar = root.querySelector("progress")
  const text = root.querySelector("[data-progress-text]")
  const status = root.querySelector("[data-progress-status]")
  const number = (n) => n.toLocaleString("en-GB")
  let told = -1

  const poll = async () => {
    let job
    try {
      const answer = await fetch(root.dataset.verifyProgress, { headers: { Accept: "application/json" } })
      if (!answer.ok || answer.redirected) return // signed out or gone: the button still works
      job = await answer.json()
    } catch {
      setTimeout(poll, 5000)
      return
    }
    if (job.state !== "running") {
      window.location.reload()
      return
    }
    if (job.total > 0) {
      bar.max = job.total
      bar.value = job.checked
      text.textContent = `${number(job.checked)} of ${number(job.total)} checked (${job.percent}%)`
      const step = Math.floor(job.percent / 10)
      if (step > told) {
        told = step
        status.textContent = `${job.percent}% checked`
      }
    }
    setTimeout(poll, 1000)
  }
  setTimeout(poll, 1000)
}
