#include "lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hookline::sender {

Status LockDatabase(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  // Deliberately never closed: the lock lasts until the process exits, however it exits.
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot create lock file " + path + ": " + std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition("database " + db_path +
                                        " is in use by another hookd (it holds " + path + ")");
    }
    return Status::Unavailable("cannot lock " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace hookline::sender
