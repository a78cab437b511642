/** The emoji picker's set: common reactions with their names (for labels and search). */
export const EMOJI: [string, string][] = [
  ["👍", "thumbs up"], ["👎", "thumbs down"], ["😀", "grinning"], ["😂", "joy"], ["🙂", "smile"], ["😉", "wink"],
  ["😍", "heart eyes"], ["🤔", "thinking"], ["😮", "surprised"], ["😢", "sad"], ["😡", "angry"], ["🙏", "thanks"],
  ["👏", "clap"], ["🙌", "raised hands"], ["👋", "wave"], ["💪", "strong"], ["👀", "eyes"], ["🎉", "party"],
  ["🚀", "rocket"], ["🔥", "fire"], ["✅", "check"], ["❌", "cross"], ["⚠️", "warning"], ["❤️", "heart"],
  ["💯", "hundred"], ["⭐", "star"], ["💡", "idea"], ["🐛", "bug"], ["☕", "coffee"], ["🍕", "pizza"],
  ["🐈", "cat"], ["🐶", "dog"], ["🌞", "sun"], ["🌧️", "rain"], ["📌", "pin"], ["📎", "paperclip"],
];
