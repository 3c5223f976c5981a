#include "bench_common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hookline/secret.h"

namespace bench {

int64_t NowNs() { return std::chrono::nanoseconds(Clock::now().time_since_epoch()).count(); }

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string EventBody() {
  std::string head =
      R"({"type":"invoice.paid","data":{"customer":"cus_0123456789","amount":4200,"pad":")";
  std::string tail = R"("}})";
  return head + std::string(400 - head.size() - tail.size(), 'x') + tail;
}

Json Environment(const fs::path& dir) {
  double load = 0;
  getloadavg(&load, 1);
  std::vector<double> ms;
  int fd = open((dir / "fsync_probe").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string block(4096, 'x');
  for (int i = 0; fd >= 0 && i < 100; ++i) {
    auto t = Clock::now();
    if (write(fd, block.data(), block.size()) < 0 || fdatasync(fd) != 0) break;
    ms.push_back(SecondsSince(t) * 1e3);
  }
  if (fd >= 0) close(fd);
  fs::remove(dir / "fsync_probe");
  std::sort(ms.begin(), ms.end());
  double median = ms.empty() ? 0 : ms[ms.size() / 2];
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf(
      "environment: %ld cores, load average %.2f, fsync (4 KiB + fdatasync) median %.3f ms\n",
      cores, load, median);
  return {{"cores", cores}, {"load_average_1m", load}, {"fsync_median_ms", median}};
}

double CpuSeconds(pid_t pid) {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends the name.
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  unsigned long user = 0, sys = 0;
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos ||
      std::sscanf(stat.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                  &user, &sys) != 2) {
    return 0;
  }
  return static_cast<double>(user + sys) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double PeakRssMiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);) {
    if (line.starts_with("VmHWM:")) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}

CpuMeter::CpuMeter(pid_t p) : pid(p), hookd0(CpuSeconds(p)), self0(CpuSeconds(getpid())) {}

std::string CpuMeter::Note() const {
  double s = SecondsSince(start);
  return Fmt("cores: hookd %.2f, bench %.2f", (CpuSeconds(pid) - hookd0) / s,
             (CpuSeconds(getpid()) - self0) / s);
}

void Tune(httplib::Client& c) {
  c.set_tcp_nodelay(true);
  c.set_keep_alive(true);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  c.set_write_timeout(30, 0);
}

LocalServer::LocalServer(int threads) {
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(1'000'000);
  server_.set_keep_alive_timeout(30);
  // One keep-alive connection holds a pool thread: size the pool for every client.
  server_.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
}

void LocalServer::Stop() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

int LocalServer::Start() {
  int port = server_.bind_to_any_port("127.0.0.1");
  if (port < 0) throw std::runtime_error("cannot bind an in-process server");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return port;
}

Receiver::Receiver() : server_(32) {
  server_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
    if (held_.load()) {
      std::unique_lock lock(mu_);
      gate_.wait(lock, [&] { return !held_.load(); });
    }
    if (signer_.load() != nullptr) Record(req, NowNs());
    ++count_;
    res.status = 200;
  });
  port_ = server_.Start();
}

Receiver::~Receiver() {
  Release();
  server_.Stop();  // before the members its handler uses go
  delete signer_.load();
}

void Receiver::Release() {
  std::lock_guard lock(mu_);
  held_ = false;
  gate_.notify_all();
}

void Receiver::StartRecording(const std::string& secret) {
  delete signer_.exchange(new hookline::Signer(hookline::Secret::Parse(secret).value()));
}

int64_t Receiver::Arrival(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = arrivals_.find(id);
  return it == arrivals_.end() ? -1 : it->second;
}

int64_t Receiver::bad_signatures() {
  std::lock_guard lock(mu_);
  return bad_;
}

void Receiver::Record(const httplib::Request& req, int64_t now) {
  std::string id = req.get_header_value("webhook-id");
  int64_t ts = std::strtoll(req.get_header_value("webhook-timestamp").c_str(), nullptr, 10);
  std::string want = signer_.load()->Sign(id, ts, req.body);
  bool good = req.get_header_value("webhook-signature").find(want) != std::string::npos;
  std::lock_guard lock(mu_);
  arrivals_.emplace(std::move(id), now);
  bad_ += good ? 0 : 1;
}

bool WaitForCount(const Receiver& rx, int64_t n, double limit_s) {
  auto start = Clock::now();
  while (rx.count() < n) {
    if (SecondsSince(start) > limit_s) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return true;
}

Hookd::Hookd(const std::string& binary, const fs::path& dir,
             const std::vector<std::string>& flags) {
  fs::create_directories(dir);
  std::vector<std::string> args = {
      binary,        "--listen", "127.0.0.1:0", "--db", (dir / "hookd.db").string(),
      "--api-token", kToken};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  log_ = dir / "hookd.log";
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {                     // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark
    dup2(out[1], 1);
    int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) dup2(log, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  // One line on stdout once it serves: "listening on http://127.0.0.1:PORT".
  FILE* in = fdopen(out[0], "r");
  char line[256] = "";
  bool up = std::fgets(line, sizeof line, in) != nullptr &&
            std::string_view(line).starts_with("listening on http://");
  std::fclose(in);
  if (!up) {
    Stop();
    throw std::runtime_error("hookd (" + binary + ") did not start");
  }
  port_ = std::atoi(std::strrchr(line, ':') + 1);
}

void Hookd::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 3000 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (kill(pid_, 0) == 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  std::ifstream f(log_);
  std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!log.empty()) std::printf("hookd's log:\n%s", log.c_str());
}

httplib::Headers AuthHeaders() { return {{"Authorization", std::string("Bearer ") + kToken}}; }

namespace {

Json Check(const httplib::Result& r, int expect) {
  if (!r || r->status != expect) {
    throw std::runtime_error("hookd API: " + (r ? std::to_string(r->status) + " " + r->body
                                                : httplib::to_string(r.error())));
  }
  return Json::parse(r->body);
}

}  // namespace

Api::Api(int port) : client_("127.0.0.1", port) { Tune(client_); }

Json Api::CreateEndpoint(const std::string& url, int max_in_flight) {
  Json body = {{"url", url}, {"max_in_flight", max_in_flight}};
  return Check(client_.Post("/v1/endpoints", AuthHeaders(), body.dump(), "application/json"), 201);
}

int64_t Api::CountDeliveries(const std::string& status) {
  int64_t n = 0;
  std::string cursor;
  // Bounded: 10k pages of 1000 is more than any benchmark stores.
  for (int page_no = 0; page_no < 10'000; ++page_no) {
    std::string path = "/v1/deliveries?status=" + status + "&limit=1000&cursor=" + cursor;
    Json page = Check(client_.Get(path, AuthHeaders()), 200);
    n += static_cast<int64_t>(page["data"].size());
    cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
    if (cursor.empty()) break;
  }
  return n;
}

void Report(const std::vector<Row>& rows, Json& out) {
  std::printf("\n%-38s %10s %10s %6s %7s %6s  %s\n", "figure", "hookd", "baseline", "ratio", "goal",
              "result", "notes");
  for (const Row& r : rows) {
    std::optional<double> ratio;
    if (r.baseline && *r.baseline > 0) ratio = r.value / *r.baseline;
    bool small = r.unit == "ms" || r.unit == "MiB" || r.unit == "s";
    std::printf("%-38s %10s %10s %6s %7s %6s  %s\n", (r.name + " (" + r.unit + ")").c_str(),
                Fmt(small ? "%.2f" : "%.0f", r.value).c_str(),
                r.baseline ? Fmt(small ? "%.2f" : "%.0f", *r.baseline).c_str() : "-",
                ratio ? Fmt("%.2fx", *ratio).c_str() : "-", r.goal.empty() ? "-" : r.goal.c_str(),
                r.pass ? (*r.pass ? "PASS" : "MISS") : "", r.note.c_str());
    out["rows"].push_back({{"name", r.name},
                           {"unit", r.unit},
                           {"value", r.value},
                           {"baseline", r.baseline ? Json(*r.baseline) : Json(nullptr)},
                           {"ratio", ratio ? Json(*ratio) : Json(nullptr)},
                           {"goal", r.goal},
                           {"pass", r.pass ? Json(*r.pass) : Json(nullptr)},
                           {"note", r.note}});
  }
}

void WriteJson(const std::string& path, const Json& out) {
  if (path.empty()) return;
  std::ofstream(path) << out.dump(2) << "\n";
  std::printf("wrote %s\n", path.c_str());
}

void ParseFlags(int argc, char** argv, const FlagSetters& flags, const std::string& usage) {
  for (int i = 1; i < argc; i += 2) {
    auto f = flags.find(argv[i]);
    if (f == flags.end() || i + 1 == argc) throw std::runtime_error(usage);
    f->second(argv[i + 1]);
  }
}

void SetUpProcess() {
  signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
}

fs::path TempDirRemovedOnStop(const std::string& prefix) {
  std::string templ = (fs::temp_directory_path() / (prefix + ".XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  fs::path dir = templ;
  std::thread([dir] {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    int sig = 0;
    sigwait(&stop, &sig);
    fs::remove_all(dir);
    _exit(130);
  }).detach();
  return dir;
}

}  // namespace bench
