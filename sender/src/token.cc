#include "token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "hookline/crypto.h"
#include "hookline/encoding.h"

namespace hookline::sender {

Result<std::string> LoadOrCreateToken(const std::string& db_path, bool& created) {
  const std::string path = db_path + ".token";
  created = false;
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return Status::FailedPrecondition("token file " + path +
                                        " is readable by others; chmod 600 it");
    }
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    if (token.empty()) return Status::FailedPrecondition("token file " + path + " is empty");
    return token;
  }
  std::string token = "hk_" + HexEncode(SecureRandomBytes(24));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot create token file " + path + ": " + std::strerror(errno));
  }
  std::string line = token + "\n";
  bool ok =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return Status::Unavailable("cannot write token file " + path);
  }
  created = true;
  return token;
}

}  // namespace hookline::sender
