-- interactive.lua — drive interactive programs through a PTY with expect,
-- the way a person would type into them.
--
--   procsh scripts/interactive.lua
--
-- Part 1 answers the questions of a small interactive installer (prompts,
-- a yes/no question, a hidden password, a menu) written in bash. Part 2
-- works an interactive bash shell: it sets a recognisable prompt, runs
-- commands and reads their output, interrupts a long-running command with
-- Ctrl-C, and exits with a status that pty:wait() reports.

local str = require("str")

local dir = str.trim(assert(process.exec("mktemp -d -t procsh-interactive.XXXXXX")).result)
local installer = dir .. "/installer.sh"
assert(process.exec("cat > " .. installer .. [=[ <<'EOF'
read -r -p "Project name: " name
read -r -p "Use the default settings? [y/n] " yn
read -r -s -p "Admin password: " pw; echo
[ ${#pw} -ge 8 ] || { echo "password too short"; exit 3; }
while true; do
  read -r -p "menu (add/list/done)> " cmd arg
  case $cmd in
    add)  items+=("$arg"); echo "added $arg" ;;
    list) echo "items: ${items[*]}" ;;
    done) break ;;
    *)    echo "unknown command $cmd" ;;
  esac
done
echo "created project $name (defaults=$yn, ${#items[@]} items)"
EOF]=]).ok)

-- Part 1: an installer ------------------------------------------------------
local p = process.pty{command = {"bash", installer}, cols = 100, rows = 30, timeout = 10}
p:expect{exact = "Project name: "}
p:send_line("demo")
p:expect("Use the default settings\\? \\[y/n\\] ")
p:send_line("y")
p:expect{exact = "Admin password: "}
p:send_line("correct horse battery staple")
for _, item in ipairs({"api", "worker", "docs"}) do
  p:expect{exact = "menu (add/list/done)> "}
  p:send_line("add " .. item)
  p:expect("added (\\w+)")
end
p:expect{exact = "menu (add/list/done)> "}
p:send_line("list")
local _, listed = p:expect("items: ([^\r\n]*)")
p:expect{exact = "menu (add/list/done)> "}
p:send_line("done")
local _, created = p:expect("created project (\\S+) \\(defaults=(\\w), (\\d+) items\\)")
local installed = p:wait(10)
print(("installer: project %s, defaults %s, %s items [%s], exit %d"):format(
  created.groups[1], created.groups[2], created.groups[3], listed.groups[1], installed.exit_code))

-- Part 2: an interactive shell ----------------------------------------------
local sh = process.pty{command = {"bash", "--norc", "--noprofile", "-i"}, timeout = 10,
                       env = {PS1 = "procsh-demo$ "}}
local prompt = {exact = "procsh-demo$ "}
sh:expect(prompt)
sh:send_line("cd " .. dir .. " && echo $((6 * 7)) > answer.txt && cat answer.txt")
-- The answer is on a line of its own (the shell may put a \r before it).
local _, answer = sh:expect("\n\r?(\\d+)\r?\n")
sh:expect(prompt)

-- Ctrl-C ends a command that would run for minutes; the shell stays.
sh:send_line("sleep 300")
local which = sh:expect({prompt, process.TIMEOUT}, {timeout = 0.5})
assert(which == 2, "sleep 300 returned early?")
sh:send_control("c")
sh:expect(prompt)
sh:send_line("echo interrupted-status=$?")
local _, status = sh:expect("interrupted-status=(\\d+)")
sh:expect(prompt)

sh:send_line("exit 7")
local ended = sh:wait(10)
process.exec("rm -rf " .. dir)
print(("shell: 6*7 = %s, Ctrl-C gave status %s, shell exit %d"):format(
  answer.groups[1], status.groups[1], ended.exit_code))
assert(answer.groups[1] == "42" and status.groups[1] == "130" and ended.exit_code == 7)
print("interactive: all dialogues completed")
