// The relay program's entry (being written).
console.log("flags relay");
